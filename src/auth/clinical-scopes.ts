// SMART clinical scopes as the resource server reads them (hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html), v1 and v2,
// parsed into data: context (patient/user/system), resource type (or `*`), permissions
// (create/read/update/delete/search) and, for v2 granular scopes, a search query. Scopes that are
// not clinical (openid, fhirUser, launch…, offline_access) are not data permissions and are left out.

import type { AccessAction } from '../access/policy';

export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ClinicalScope {
  /** The scope as written. */
  text: string;
  context: ScopeContext;
  /** A resource type, or `*` for every type. */
  resourceType: string;
  permissions: ReadonlySet<Permission>;
  /** v2 granular scope: only resources matching this search query (`category=laboratory`). */
  query?: Array<[string, string]>;
}

const CLINICAL = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(?:\?(.+))?$/;
const V2_ORDER = 'cruds';

/** One scope; undefined when it is not a clinical scope or is malformed (it then grants nothing). */
export function parseScope(text: string): ClinicalScope | undefined {
  const m = CLINICAL.exec(text);
  if (!m) return undefined;
  const [, context, resourceType, rights, query] = m;
  const permissions = permissionsOf(rights);
  if (!permissions) return undefined;
  const scope: ClinicalScope = { text, context: context as ScopeContext, resourceType, permissions };
  if (query !== undefined) {
    // Granular scopes are a v2 feature and name a concrete type (the query's parameters are that type's).
    if (resourceType === '*' || !/^[cruds]+$/.test(rights)) return undefined;
    const pairs = parseQuery(query);
    if (!pairs) return undefined;
    scope.query = pairs;
  }
  return scope;
}

export function parseScopes(scopes: readonly string[]): ClinicalScope[] {
  return scopes.map(parseScope).filter((s): s is ClinicalScope => s !== undefined);
}

/** v1 `read`/`write`/`*`, or v2 letters in the order c r u d s, each at most once. */
function permissionsOf(rights: string): Set<Permission> | undefined {
  if (rights === 'read') return new Set(['r', 's']);
  if (rights === 'write') return new Set(['c', 'u', 'd']);
  if (rights === '*') return new Set(['c', 'r', 'u', 'd', 's']);
  let last = -1;
  const out = new Set<Permission>();
  for (const ch of rights) {
    const at = V2_ORDER.indexOf(ch);
    if (at <= last) return undefined;
    last = at;
    out.add(ch as Permission);
  }
  return out.size ? out : undefined;
}

function parseQuery(query: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    try {
      pairs.push([decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1))]);
    } catch {
      return undefined;
    }
  }
  return pairs;
}

/** Whether the scope grants the action: read r, search s, create c, update u, delete d. */
export function grants(scope: ClinicalScope, action: AccessAction): boolean {
  return scope.permissions.has(LETTER[action]);
}

const LETTER: Record<AccessAction, Permission> = { read: 'r', search: 's', create: 'c', update: 'u', delete: 'd' };
