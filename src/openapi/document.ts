// The OpenAPI 3.1 description of the FHIR API, generated from the CapabilityStatement (types,
// interactions, search parameters, compartments, operations, security) and the operation
// registry's OperationDefinitions. Since both are generated from what the server wires, the
// description cannot advertise a path the server does not serve.
import type { CapabilityStatement } from '@medplum/fhirtypes';
import type { OperationModule } from '../operations/types';
import { components, INFO_DESCRIPTION, SharedParts, type Json } from './components';
import { criteriaParameters, systemPaths, typePaths, type Paths } from './interactions';
import { operationDescriptions, operationPaths } from './operations';

export interface OpenApiSources {
  capability: CapabilityStatement;
  operations: OperationModule[];
  /** `external` mode: tokens come from another authorization server, so the description says
   * only "Bearer JWT"; `smart` mode's OAuth URLs come from the statement's rest.security. */
  bearerOnly?: boolean;
  /** Scopes the authorization server grants (SMART discovery's scopes_supported). */
  scopes?: string[];
  /** A create body the server accepts, per type (see examples.ts). */
  exampleOf?: (type: string) => Json | undefined;
}

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

export function buildOpenApiDocument(src: OpenApiSources): Json {
  const cap = src.capability;
  const rest = cap.rest?.[0];
  if (!rest) throw new Error('the CapabilityStatement has no rest entry');
  const resources = rest.resource ?? [];
  const types = resources.map((r) => r.type);
  const common = rest.searchParam ?? [];
  const byType = new Map<string, (typeof resources)[number]>(resources.map((r) => [r.type, r]));
  const shared = new SharedParts();
  const desc = operationDescriptions(src.operations, shared, (type) => criteriaParameters(shared, byType.get(type), common));

  const paths: Paths = { ...systemPaths(shared, rest, types) };
  for (const r of resources) Object.assign(paths, typePaths(shared, r, common, src.exampleOf));
  merge(paths, operationPaths(desc, rest.operation ?? [], resources.map((r) => ({ type: r.type, operations: r.operation ?? [] }))));
  const base = components(types, { CapabilityStatement: capabilitySchema() }, shared);
  for (const item of Object.values(paths)) for (const o of Object.values(item)) dedupeParameters(o, base.parameters as Record<string, Json>);

  const security = securitySchemes(src, rest.security);
  if (security) {
    (base as Json).securitySchemes = security.schemes;
    for (const path of ['/metadata']) for (const o of Object.values(paths[path] ?? {})) o.security = [];
  }
  return {
    openapi: '3.1.0',
    info: {
      title: cap.software?.name ?? 'FHIR server',
      version: cap.software?.version ?? '0',
      description: `${INFO_DESCRIPTION} Refused requests are answered with an OperationOutcome saying what to fix.`,
    },
    externalDocs: { description: 'FHIR R4 RESTful API', url: 'https://hl7.org/fhir/R4/http.html' },
    servers: [{ url: cap.implementation?.url ?? '/fhir' }],
    ...(security ? { security: security.requirement } : {}),
    tags: [
      { name: 'System', description: 'Capabilities, batch/transaction, system search and history' },
      ...(rest.compartment?.length ? [{ name: 'Compartments', description: 'Compartment search' }] : []),
      ...(rest.operation?.length ? [{ name: 'Operations', description: 'System-level operations' }] : []),
      ...(Object.keys(paths).some((p) => p.startsWith('/{type}/')) ? [{ name: 'Operations on every type', description: 'Operations whose definition applies to every resource type: `/[type]/$op`, `/[type]/[id]/$op`' }] : []),
      ...types.map((t) => ({ name: t, externalDocs: { url: `https://hl7.org/fhir/R4/${t.toLowerCase()}.html` } })),
    ],
    paths,
    components: base,
  };
}

/** The same description for another base URL: only the server URL and the OAuth URLs (which
 * SMART puts beside the FHIR base) depend on it; the paths are shared, not rebuilt. */
export function rebase(document: Json, capability: CapabilityStatement, src: Pick<OpenApiSources, 'bearerOnly' | 'scopes'>): Json {
  const security = securitySchemes(src, capability.rest?.[0]?.security);
  const components = { ...(document.components as Json) };
  if (security) components.securitySchemes = security.schemes;
  return { ...document, servers: [{ url: capability.implementation?.url ?? '/fhir' }], components };
}

function merge(into: Paths, more: Paths): void {
  for (const [path, item] of Object.entries(more)) into[path] = { ...(into[path] ?? {}), ...item };
}

/** OpenAPI allows a (name, in) pair once per operation; an operation parameter that is also a
 * search parameter (or a shared one) is kept once, the first time it is listed. */
function dedupeParameters(o: Json, shared: Record<string, Json>): void {
  const list = o.parameters as Json[] | undefined;
  if (!list) return;
  const seen = new Set<string>();
  o.parameters = list.filter((p) => {
    const resolved = typeof p.$ref === 'string' ? shared[(p.$ref as string).split('/').pop()!] : p;
    const key = `${String(resolved?.in)}:${String(resolved?.name).toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function capabilitySchema(): Json {
  return {
    type: 'object',
    required: ['resourceType', 'status', 'kind', 'fhirVersion', 'format'],
    properties: { resourceType: { type: 'string', const: 'CapabilityStatement' }, rest: { type: 'array', items: { type: 'object' } } },
    additionalProperties: true,
  };
}

/** Security schemes from the statement's rest.security: SMART's OAuth URLs become an oauth2
 * scheme (authorization code for apps, client credentials for backend services). */
export function securitySchemes(src: Pick<OpenApiSources, 'bearerOnly' | 'scopes'>, security: NonNullable<CapabilityStatement['rest']>[number]['security']): { schemes: Json; requirement: Json[] } | undefined {
  if (src.bearerOnly) {
    return {
      schemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the configured authorization server, carrying SMART scopes.' } },
      requirement: [{ bearer: [] }],
    };
  }
  const uris = security?.extension?.find((e) => e.url === OAUTH_URIS)?.extension ?? [];
  const uri = (name: string) => uris.find((e) => e.url === name)?.valueUri;
  const authorize = uri('authorize');
  const token = uri('token');
  if (!authorize || !token) return undefined;
  const scopes = Object.fromEntries((src.scopes ?? []).map((s) => [s, scopeText(s)]));
  return {
    schemes: {
      smart: {
        type: 'oauth2',
        description: security?.description ?? 'SMART App Launch',
        flows: {
          authorizationCode: { authorizationUrl: authorize, tokenUrl: token, refreshUrl: token, scopes },
          clientCredentials: { tokenUrl: token, scopes: Object.fromEntries(Object.entries(scopes).filter(([s]) => s.startsWith('system/'))) },
        },
      },
    },
    requirement: [{ smart: [] }],
  };
}

function scopeText(scope: string): string {
  const m = /^(patient|user|system)\/([^.]+)\.(.+)$/.exec(scope);
  if (m) return `${m[3]} access to ${m[2] === '*' ? 'every type' : m[2]} (${m[1]} context)`;
  return scope;
}

