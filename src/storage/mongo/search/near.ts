// `near` on MongoDB. The box (and, on MongoDB, the 2dsphere spherical cap) is answered by an index
// in a sub-query; the exact great-circle distance (search/geo.ts, the same formula as SQLite) is
// checked here on each candidate, which FerretDB cannot do in a query (no $geoWithin, no $expr
// trigonometry). The matches become a `keys` predicate, like a resolved chain, with their
// distances kept for `_sort=near`, which is ordered here too: `find().sort()` can only order by
// stored fields, and the distance depends on the query. Both stay bounded by MAX_SUBQUERY_IDS.
import type { Document } from 'mongodb';
import { haversineKm } from '../../../search/geo';
import type { NearPredicate, SearchPlan, SearchResult } from '../../../search/plan';
import { mongoErrors } from '../errors';
import { RESOURCES, VERSION_PROJECTION, toResourceVersion, type StoredVersion } from '../layout';
import { compileSearch, type CompileOptions, type KeysPredicate } from './compile';
import { decodeCursor, encodeCursor, sortFields, type SortField, type SortValue } from './paging';
import { queryOptions, type SearchContext } from './context';

export const MAX_NEAR_CANDIDATES = 10000;

export async function resolveNear(ctx: SearchContext, types: string[], p: NearPredicate, options: CompileOptions): Promise<KeysPredicate> {
  const docs = await ctx.db
    .collection<StoredVersion>(RESOURCES)
    .find(compileSearch(types, [p], options), { projection: { _id: 1, 'ix.position': 1 }, ...queryOptions(ctx) })
    .limit(MAX_NEAR_CANDIDATES + 1)
    .toArray();
  if (docs.length > MAX_NEAR_CANDIDATES) throw mongoErrors.tooCostly(`near ${p.distanceKm} km`, MAX_NEAR_CANDIDATES);
  const distances = new Map<string, number>();
  for (const d of docs) {
    const entries = ((d.ix as Document | undefined)?.position ?? []) as Array<{ p: string; lat: number; lon: number }>;
    for (const e of entries) {
      if (e.p !== p.param) continue;
      const km = haversineKm(p, e);
      if (km <= p.distanceKm) distances.set(d._id as string, km);
    }
  }
  return { kind: 'keys', keys: [...distances.keys()], distances };
}

/** Virtual sort field of the distance in `SortField` lists. */
const DISTANCE = '~near';

/** MongoDB's order of scalars: missing (null) first, numbers before strings. */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : 1;
}

function compare(a: SortValue[], b: SortValue[], fields: SortField[]): number {
  for (let i = 0; i < fields.length; i++) {
    const c = compareValues(a[i], b[i]) * fields[i].dir;
    if (c !== 0) return c;
  }
  return 0;
}

/**
 * A page of a search sorted by distance (among other keys): every match's sort values (a
 * projection, no resources) are ordered here, the cursor position found by the same comparison,
 * and only the page's resources are read.
 */
export async function runNearSorted(ctx: SearchContext, plan: SearchPlan, filter: Document, distances: Map<string, number>): Promise<SearchResult> {
  const fields = sortFields(plan.sort).map((f) => f);
  // sortFields maps a near key like any parameter (so.near.h, so.near.n/x); use the distance instead.
  const order: SortField[] = [];
  for (const key of plan.sort) {
    if (key.near) order.push({ field: DISTANCE, dir: key.descending ? -1 : 1 });
    else order.push(...sortFields([key]).slice(0, -1));
  }
  order.push(fields[fields.length - 1]); // `_id`, the unique tie-breaker
  const resources = ctx.db.collection<StoredVersion>(RESOURCES);
  const docs = await resources.find(filter, { projection: { _id: 1, id: 1, lu: 1, so: 1 }, ...queryOptions(ctx) }).limit(MAX_NEAR_CANDIDATES + 1).toArray();
  if (docs.length > MAX_NEAR_CANDIDATES) throw mongoErrors.tooCostly('sorting by near', MAX_NEAR_CANDIDATES);
  const valueOf = (doc: Document, field: string): SortValue => {
    if (field === DISTANCE) return distances.get(doc._id as string) ?? null;
    let v: unknown = doc;
    for (const part of field.split('.')) v = v && typeof v === 'object' ? (v as Document)[part] : undefined;
    return typeof v === 'string' || typeof v === 'number' ? v : null;
  };
  const rows = docs.map((d) => ({ key: d._id as string, position: order.map((f) => valueOf(d, f.field)) }));
  rows.sort((a, b) => compare(a.position, b.position, order));

  const result: SearchResult = { matches: [], included: [] };
  if (plan.total !== 'none') result.total = rows.length;
  if (plan.count === 0) return result;
  const cursor = plan.cursor !== undefined ? decodeCursor(plan, plan.cursor, order.length) : undefined;
  let start = 0;
  let end = rows.length;
  if (cursor?.d === 'n') start = rows.findIndex((r) => compare(r.position, cursor.position, order) > 0);
  if (cursor?.d === 'p') end = rows.findIndex((r) => compare(r.position, cursor.position, order) >= 0);
  if (start < 0) start = rows.length;
  if (end < 0) end = rows.length;
  const page = cursor?.d === 'p' ? rows.slice(Math.max(0, end - plan.count), end) : rows.slice(start, start + plan.count);
  const pageStart = cursor?.d === 'p' ? Math.max(0, end - plan.count) : start;
  const full = await resources.find({ _id: { $in: page.map((r) => r.key) } }, { projection: VERSION_PROJECTION, ...queryOptions(ctx) }).toArray();
  const byKey = new Map(full.map((d) => [d._id as string, d]));
  result.matches = page.flatMap((r) => (byKey.has(r.key) ? [toResourceVersion(byKey.get(r.key)!)] : []));
  if (page.length) {
    if (pageStart + page.length < rows.length) result.nextCursor = encodeCursor(plan, { d: 'n', position: page[page.length - 1].position });
    if (pageStart > 0) result.previousCursor = encodeCursor(plan, { d: 'p', position: page[0].position });
  }
  return result;
}
