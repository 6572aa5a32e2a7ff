// The engine-neutral SearchPlan IR: what a FHIR search means once parsed and resolved against the
// SearchParameter registry. Each engine compiles it to its own query language (SQL, MongoDB) and
// answers with a SearchResult; nothing here knows about HTTP, SQL or BSON.
//
// Semantics every engine must honour (R4 search.html), so that both pass one conformance suite:
// - `where` is an AND of predicates; `or` nodes hold the comma-separated alternatives;
// - a predicate on a parameter holds when ANY index entry of that parameter satisfies it
//   (entries of IndexValues with `p === param`), except `not`, which holds when NO entry does;
// - ranges are half-open `[low, high)` on both sides (search value and stored value), compared as
//   described on RangePredicate;
// - `nothing` matches no resource (e.g. `_id=` of a type the parameter cannot target).
import type { ResourceVersion } from '../storage/version';
import type { IndexKind } from './index-values';
import type { GeoBox } from './geo';

/** R4 prefixes for ordered values. */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export type Predicate =
  | AndPredicate
  | OrPredicate
  | NotPredicate
  | NothingPredicate
  | IdPredicate
  | TypePredicate
  | StringPredicate
  | TokenPredicate
  | RangePredicate
  | ReferencePredicate
  | UriPredicate
  | MissingPredicate
  | CompositePredicate
  | ChainPredicate
  | HasPredicate
  | FollowedPredicate
  | LatestPredicate
  | NearPredicate;

/** All hold (used inside `or`/`not`, e.g. the words of `_content`; top level is `where`). */
export interface AndPredicate {
  kind: 'and';
  all: Predicate[];
}

/** Any of the alternatives holds (comma-separated values, `:in` expansions, compartments). */
export interface OrPredicate {
  kind: 'or';
  any: Predicate[];
}

/** The inner predicate does not hold for the resource (`:not`, `:not-in`): for a leaf, no index
 * entry of the parameter satisfies it, so a resource without the element matches. */
export interface NotPredicate {
  kind: 'not';
  predicate: Predicate;
}

export interface NothingPredicate {
  kind: 'nothing';
  /** Why: kept for debugging and golden tests. */
  reason: string;
}

/** `_id`: the logical id is one of these (compared to the stored id, not an index table). */
export interface IdPredicate {
  kind: 'id';
  ids: string[];
}

/** The resource is of one of these types. Searches over several types use it to apply a condition
 * to some of them only, e.g. an access policy that differs by type: OR(AND(type=A, …), type=B). */
export interface TypePredicate {
  kind: 'type';
  types: string[];
}

export interface StringPredicate {
  kind: 'string';
  param: string;
  /** prefix: folded value starts with; contains: folded value contains; exact: unfolded equality. */
  match: 'prefix' | 'contains' | 'exact';
  /** Already folded for prefix/contains; as given for exact. */
  value: string;
}

/** Token match. Absent `system` means any system; `system: null` means "has no system" (`|code`).
 * Absent `code` means any code in the system (`system|`). `text` (`:text`) matches the folded
 * display/text by prefix and ignores system and code. `typeSystem`/`typeCode` (`:of-type`). */
export interface TokenPredicate {
  kind: 'token';
  param: string;
  system?: string | null;
  code?: string;
  text?: string;
  typeSystem?: string;
  typeCode?: string;
}

/** Ordered comparison against stored `[lo, hi)` ranges (date, number, quantity), with the search
 * value's own range `[low, high)` derived from its precision. With T = stored `[lo, hi)`:
 * eq: low <= lo && hi <= high          ne: not eq
 * gt: hi > high                        lt: lo < low
 * ge: gt || eq                         le: lt || eq
 * sa: lo >= high                       eb: hi <= low
 * ap: lo < high && hi > low, where [low, high) was already widened by the planner's tolerance. */
export interface RangePredicate {
  kind: 'range';
  valueKind: 'date' | 'number' | 'quantity';
  param: string;
  prefix: Prefix;
  low: number;
  high: number;
  /** Quantity only: the unit as given (`value|system|code`); absent = any unit. */
  system?: string;
  code?: string;
  /** Quantity only: `value||unit`, matched against Quantity.code or Quantity.unit. */
  unit?: string;
}

/** Reference match by local target (type/id) or by URL (absolute or canonical). */
export interface ReferencePredicate {
  kind: 'reference';
  param: string;
  /** Local target type; absent = any type the parameter allows. */
  type?: string;
  id?: string;
  /** Absolute or canonical URL (compared to the entry's `u`). */
  url?: string;
  /** Canonical version: with `url`, matches `u === url && ver === version`. */
  version?: string;
  /** `:identifier`: Reference.identifier system (absent = any) and value. */
  identifierSystem?: string | null;
  identifierValue?: string;
}

export interface UriPredicate {
  kind: 'uri';
  param: string;
  /** exact: equality; below: stored value starts with `value`; above: `value` starts with stored. */
  match: 'exact' | 'below' | 'above';
  value: string;
}

/** `:missing=true|false`: whether the resource has any index entry for the parameter. */
export interface MissingPredicate {
  kind: 'missing';
  param: string;
  valueKind: IndexKind;
  missing: boolean;
}

/** Composite: one CompositeEntry of `param` satisfies every component predicate at once.
 * Component predicates use `param` = `c0` | `c1` | `c2` to name the component they constrain. */
export interface CompositePredicate {
  kind: 'composite';
  param: string;
  components: Array<StringPredicate | TokenPredicate | RangePredicate | ReferencePredicate | UriPredicate>;
}

/** `near` (special, Location.position): the resource's position lies within `distanceKm` of the
 * point along the great circle (haversine, search/geo.ts). `box` is the bounding box an index can
 * answer first; the exact distance check follows on each candidate. */
export interface NearPredicate {
  kind: 'near';
  param: string;
  lat: number;
  lon: number;
  distanceKm: number;
  box: GeoBox;
}

/** Forward chain `param:Type.inner=…`: some reference of `param` points to a resource of one of
 * `targetTypes` (local, existing, not deleted) that satisfies all of `where`. Nests for deeper chains. */
export interface ChainPredicate {
  kind: 'chain';
  param: string;
  targetTypes: string[];
  where: Predicate[];
}

/** Reverse chain `_has:SourceType:param:…`: some current resource of `sourceType` satisfying all of
 * `where` has a reference in `param` pointing to this resource. */
export interface HasPredicate {
  kind: 'has';
  sourceType: string;
  param: string;
  where: Predicate[];
}

/** Not from a search query (measures build it, e.g. a readmission): the resource's `from` date
 * (its entries' least start) is followed, strictly after it and at most `withinMs` later, by the
 * `to` date start of another current resource of `sourceType` satisfying all of `where` that shares
 * a local target of the `per` reference parameter (the same patient). */
export interface FollowedPredicate {
  kind: 'followed';
  sourceType: string;
  per: string;
  from: string;
  to: string;
  withinMs: number;
  where: Predicate[];
}

/** Not from a search query (measures, e.g. CMS165's most recent blood pressure): of the current
 * resources of `sourceType` satisfying all of `among` whose `per` reference has this resource as a
 * local target, the most recent one satisfies all of `where`. "Most recent" is $lastn's order
 * (engine LatestQuery): the greatest `hi` of the `by` date parameter, a resource without one last,
 * equal dates by id descending. False when no such resource refers to this one. */
export interface LatestPredicate {
  kind: 'latest';
  sourceType: string;
  per: string;
  by: string;
  among: Predicate[];
  where: Predicate[];
}

export interface SortKey {
  /** Parameter code; `_id` and `_lastUpdated` sort on the resource itself. */
  param: string;
  descending: boolean;
  /** `_sort=near`: the distance from this point (the `near` parameter's), nearest first. */
  near?: { lat: number; lon: number };
}

/** `_include` (follow references out of matches) / `_revinclude` (resources referencing matches). */
export interface IncludeSpec {
  /** Source resource type, or '*' for any. */
  sourceType: string;
  /** Reference parameter on the source type, or '*' for all its reference parameters. */
  param: string;
  /** Restrict followed references to this target type. */
  targetType?: string;
  /** `:iterate` (R4 also `:recurse`): apply again to what was included, until nothing new. */
  iterate: boolean;
}

export type TotalMode = 'none' | 'estimate' | 'accurate';

export interface SearchPlan {
  /** Types searched: one for `[type]?`, several for `?_type=`, empty for all types (system search). */
  resourceTypes: string[];
  /** AND of predicates. */
  where: Predicate[];
  /** Sort keys in priority order; engines append their own unique tie-breaker for stable paging. */
  sort: SortKey[];
  /** Page size; 0 = return no resources (e.g. `_summary=count`), only the total. */
  count: number;
  /** Opaque cursor from a previous SearchResult (nextCursor/previousCursor) of the same query. */
  cursor?: string;
  total: TotalMode;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** Upper bound on resources added by includes (protects the server from fan-out). */
  maxIncluded?: number;
}

export interface SearchResult {
  /** Matches of this page in sort order (search.mode = match). */
  matches: ResourceVersion[];
  /** Resources added by _include/_revinclude (search.mode = include), without duplicates of matches. */
  included: ResourceVersion[];
  /** Number of matches on all pages: present for total=accurate, may be present for estimate. */
  total?: number;
  /** Present when a further page exists; put into plan.cursor to fetch it. */
  nextCursor?: string;
  /** Present when an earlier page exists. */
  previousCursor?: string;
}
