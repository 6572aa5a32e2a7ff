// What a caller may see and change, as data the one door (data-access.ts) applies to every read and
// write. A policy is pure: it answers per resource type with "refused" or "allowed where these
// SearchPlan predicates hold", so the engines enforce it inside their own queries and no path can
// forget it. The security layer builds policies from SMART scopes; until then every caller is
// anonymous with full access (the open policy).
import type { Predicate } from '../search/plan';

/** The SMART v2 permissions: read (read, vread, history, and resources a search includes), search
 * (the types a search, chain or `_has` looks into, conditional matches), create, update (update,
 * patch, in-place rewrites) and delete. */
export type AccessAction = 'read' | 'search' | 'create' | 'update' | 'delete';

export function isWrite(action: AccessAction): boolean {
  return action === 'create' || action === 'update' || action === 'delete';
}

export type TypeAccess =
  /** Nothing of this type: a request naming the type answers 403 with `reason`; searches across
   * types leave it out. */
  | { allowed: false; reason: string }
  /** Resources of this type for which every predicate holds (none: all of them). A resource that
   * exists but fails them is treated as if it did not exist (404), so its existence is not revealed. */
  | { allowed: true; where: Predicate[] };

export interface AccessPolicy {
  /** True when the policy restricts nothing: the door then passes requests straight through. */
  readonly unrestricted: boolean;
  /** May run server administration ($reindex, $expunge) and read the audit trail. Unrestricted
   * policies may too. */
  readonly administrator?: boolean;
  /** Acts as a backend service (SMART system/ scopes): may ask for the whole store at once, as a
   * system-level Bulk Data export does. Unrestricted policies may too. */
  readonly system?: boolean;
  access(resourceType: string, action: AccessAction): TypeAccess;
}

const ALL: TypeAccess = { allowed: true, where: [] };

/** Full access to everything (anonymous callers on loopback until authorization is configured). */
export const openPolicy: AccessPolicy = {
  unrestricted: true,
  administrator: true,
  access: () => ALL,
};

/** Whether the policy may run system-level operations over the whole store (Bulk Data system
 * export needs system/ scopes; a patient's or user's app exports at the Patient or Group level). */
export function actsAsSystem(policy: AccessPolicy): boolean {
  return policy.unrestricted || policy.system === true;
}

/** Whether the policy may administer the server. */
export function isAdministrator(policy: AccessPolicy): boolean {
  return policy.unrestricted || policy.administrator === true;
}

/** A policy from a function, for callers whose rights differ by type (and for tests). */
export function policyOf(access: (resourceType: string, action: AccessAction) => TypeAccess): AccessPolicy {
  return { unrestricted: false, access };
}
