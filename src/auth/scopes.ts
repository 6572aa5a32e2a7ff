// What the authorization server grants: the requested scopes narrowed to those the client is
// registered for (a request may ask for less, never more) and to what the flow allows. The
// resource server (security-rs) later intersects the granted scopes with the user's role.
// SMART v1 (`patient/Observation.read`) and v2 (`patient/Observation.rs?category=…`) both parse.

export interface ResourceScope {
  context: 'patient' | 'user' | 'system';
  type: string;
  /** v2 letters, v1 `read`/`write`/`*` translated: read = rs, write = cud, * = cruds. */
  permissions: Set<string>;
  query?: string;
}

const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{0,63})\.(read|write|\*|c?r?u?d?s?)(\?[^\s]*)?$/;

export function parseResourceScope(scope: string): ResourceScope | undefined {
  const m = RESOURCE_SCOPE.exec(scope);
  if (!m || m[3] === '') return undefined;
  const letters = m[3] === 'read' ? 'rs' : m[3] === 'write' ? 'cud' : m[3] === '*' ? 'cruds' : m[3];
  return { context: m[1] as ResourceScope['context'], type: m[2], permissions: new Set(letters), query: m[4]?.slice(1) };
}

/** Whether the registered scope `allowed` covers the requested `wanted`. */
function covers(allowed: string, wanted: string): boolean {
  if (allowed === wanted) return true;
  const a = parseResourceScope(allowed);
  const w = parseResourceScope(wanted);
  if (!a || !w || a.context !== w.context) return false;
  if (a.type !== '*' && a.type !== w.type) return false;
  if (a.query !== undefined && a.query !== w.query) return false;
  return [...w.permissions].every((p) => a.permissions.has(p));
}

export function splitScopes(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter(Boolean))];
}

export type Flow = 'authorization_code' | 'client_credentials';

const USER_FLOW_SCOPES = new Set(['openid', 'fhirUser', 'profile', 'launch', 'launch/patient', 'launch/encounter', 'offline_access', 'online_access']);

/**
 * The granted subset of `requested`: scopes the client is registered for and that make sense in
 * the flow (`system/` only for backend services; user, patient, launch and identity scopes only
 * where a user signs in). Unknown scopes are dropped, as RFC 6749 §3.3 allows.
 */
export function grantScopes(requested: string[], registered: string, flow: Flow): string[] {
  const allowed = splitScopes(registered);
  return requested.filter((s) => {
    const resource = parseResourceScope(s);
    const fits = flow === 'client_credentials' ? resource?.context === 'system' : resource ? resource.context !== 'system' : USER_FLOW_SCOPES.has(s);
    return fits && allowed.some((a) => covers(a, s));
  });
}

/** The requested scopes the registration does not cover (for the operator's `auth token`). */
export function uncoveredScopes(requested: string[], registered: string): string[] {
  const allowed = splitScopes(registered);
  return requested.filter((s) => !allowed.some((a) => covers(a, s)));
}

/** For a refresh: the new request may only narrow what was granted. */
export function narrowScopes(requested: string[], granted: string[]): string[] | undefined {
  const out = requested.filter((s) => granted.some((g) => covers(g, s)));
  return out.length === requested.length ? out : undefined;
}
