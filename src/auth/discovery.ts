// What `smart` mode advertises: the SMART configuration document (SMART App Launch 2.0 §
// "Conformance": every required field) and the CapabilityStatement's rest.security.
import type { CapabilityStatementRestSecurity } from '@medplum/fhirtypes';
import { endpointsFor } from './endpoints';
import { ID_TOKEN_ALG } from './keys';

export const SCOPES_SUPPORTED = [
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
  'launch/encounter',
  'offline_access',
  'online_access',
  'patient/*.cruds',
  'patient/*.rs',
  'user/*.cruds',
  'user/*.rs',
  'system/*.cruds',
  'system/*.rs',
  'patient/*.read',
  'patient/*.write',
  'user/*.read',
  'user/*.write',
  'system/*.read',
  'system/*.write',
];

export function smartConfiguration(fhirBase: string): Record<string, unknown> {
  const e = endpointsFor(fhirBase);
  return {
    issuer: e.issuer,
    jwks_uri: e.jwks,
    authorization_endpoint: e.authorize,
    token_endpoint: e.token,
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: [ID_TOKEN_ALG],
    introspection_endpoint: e.introspect,
    revocation_endpoint: e.revoke,
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'context-ehr-patient',
      'context-ehr-encounter',
      'context-standalone-patient',
      'context-banner',
      'permission-offline',
      'permission-online',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
      'sso-openid-connect',
      'authorize-post',
    ],
  };
}

export function capabilitySecurity(fhirBase: string): CapabilityStatementRestSecurity {
  const e = endpointsFor(fhirBase);
  return {
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }],
        text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
      },
    ],
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          { url: 'token', valueUri: e.token },
          { url: 'authorize', valueUri: e.authorize },
          { url: 'revoke', valueUri: e.revoke },
          { url: 'introspect', valueUri: e.introspect },
        ],
      },
    ],
    description: 'SMART App Launch 2.0: authorization code with PKCE (S256), backend services (client_credentials with private_key_jwt).',
  };
}
