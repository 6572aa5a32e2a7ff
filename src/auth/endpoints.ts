// Where the authorization server's endpoints are, relative to the FHIR base URL: beside it, under
// `/oauth` (outside the FHIR base, so the resource server's bearer-token check never applies to
// them), with discovery at `[base]/.well-known/smart-configuration` as SMART requires.
export const OAUTH_MOUNT = '/oauth';

export interface AuthEndpoints {
  issuer: string;
  authorize: string;
  token: string;
  jwks: string;
  revoke: string;
  introspect: string;
  launch: string;
}

export function endpointsFor(fhirBase: string): AuthEndpoints {
  // The server mounts the FHIR API at /fhir; a proxy may put both under a prefix.
  const root = fhirBase.endsWith('/fhir') ? fhirBase.slice(0, -'/fhir'.length) : new URL(fhirBase).origin;
  const oauth = `${root}${OAUTH_MOUNT}`;
  return {
    issuer: fhirBase,
    authorize: `${oauth}/authorize`,
    token: `${oauth}/token`,
    jwks: `${oauth}/jwks`,
    revoke: `${oauth}/revoke`,
    introspect: `${oauth}/introspect`,
    launch: `${oauth}/launch`,
  };
}
