// Answers a SearchPlan: chains and `_has` first, as sub-queries whose ids feed `$in` (no
// `$lookup`, which FerretDB lacks, and a sharded cluster would broadcast), then the page of
// matches, the total, and `_include`/`_revinclude` as further `$in` queries.
import type { Document } from 'mongodb';
import type { IndexKind } from '../../../search/index-values';
import type { IncludeSpec, Predicate, SearchPlan, SearchResult } from '../../../search/plan';
import type { ResourceVersion } from '../../engine';
import { mongoErrors } from '../errors';
import { META, RESOURCES, VERSION_PROJECTION, toResourceVersion, type StoredVersion } from '../layout';
import { arityKey } from '../write';
import { compilePredicate, compileSearch, type CompileOptions, type KeysPredicate, type ResolvedPredicate } from './compile';
import { queryOptions, withinBudget, type SearchContext } from './context';
import { resolveNear, runNearSorted } from './near';
import { afterPosition, decodeCursor, encodeCursor, positionOf, sortDocument, sortFields } from './paging';

export { queryOptions, withinBudget, type SearchContext } from './context';

/** Most ids a chain or `_has` sub-query may feed into `$in`. */
export const MAX_SUBQUERY_IDS = 10000;
/** Default cap on resources added by includes when the plan sets none. */
const DEFAULT_MAX_INCLUDED = 1000;

/** The filter of the live resources of `types` (all when empty) matching every predicate, chains
 * and `_has` resolved first: a search's, and an aggregation's `$match`. */
export async function matchFilter(ctx: SearchContext, types: string[], where: Predicate[]): Promise<Document> {
  return compileSearch(types, await resolveAll(ctx, types, where), await compileOptions(ctx, types));
}

export function runSearch(ctx: SearchContext, plan: SearchPlan): Promise<SearchResult> {
  return withinBudget(ctx, () => search(ctx, plan));
}

async function search(ctx: SearchContext, plan: SearchPlan): Promise<SearchResult> {
  if (plan.sort.some((k) => k.near)) {
    // Sorted by distance: the top-level `near` (parse-query.ts puts the point on the sort key)
    // resolves to keys with their distances, and the order is made in near.ts.
    const resolved = await resolveAll(ctx, plan.resourceTypes, plan.where);
    const near = resolved.find((p): p is KeysPredicate => p.kind === 'keys' && p.distances !== undefined);
    const filter = compileSearch(plan.resourceTypes, resolved, await compileOptions(ctx, plan.resourceTypes));
    const result = await runNearSorted(ctx, plan, filter, near?.distances ?? new Map());
    if (result.matches.length && (plan.include.length || plan.revinclude.length)) {
      const docs = await ctx.db.collection<StoredVersion>(RESOURCES).find({ _id: { $in: result.matches.map((m) => `${m.resourceType}/${m.id}`) } }, { projection: { _id: 1, t: 1, id: 1, 'ix.reference': 1 }, ...queryOptions(ctx) }).toArray();
      result.included = await includes(ctx, plan, docs);
    }
    return result;
  }
  const filter = await matchFilter(ctx, plan.resourceTypes, plan.where);
  const resources = ctx.db.collection<StoredVersion>(RESOURCES);
  const order = sortFields(plan.sort);
  const cursor = plan.cursor !== undefined ? decodeCursor(plan, plan.cursor, order.length) : undefined;
  const result: SearchResult = { matches: [], included: [] };
  if (plan.total !== 'none') result.total = await resources.countDocuments(filter, queryOptions(ctx));
  if (plan.count === 0) return result;

  const backward = cursor?.d === 'p';
  const pageFilter = cursor ? { $and: [filter, afterPosition(order, cursor.position, backward)] } : filter;
  const wantsIncludes = plan.include.length > 0 || plan.revinclude.length > 0;
  const projection = { ...VERSION_PROJECTION, so: 1, ...(wantsIncludes ? { 'ix.reference': 1 } : {}) };
  let docs = await resources
    .find(pageFilter, { projection, ...queryOptions(ctx) })
    .sort(sortDocument(order, backward))
    .limit(plan.count + 1)
    .toArray();
  const more = docs.length > plan.count;
  if (more) docs = docs.slice(0, plan.count);
  if (backward) docs.reverse();
  result.matches = docs.map(toResourceVersion);
  if (docs.length) {
    // Forward: a next page if there was an extra document, a previous one if we came by cursor.
    // Backward: the mirror image.
    const hasNext = backward ? true : more;
    const hasPrevious = backward ? more : cursor !== undefined;
    if (hasNext) result.nextCursor = encodeCursor(plan, { d: 'n', position: positionOf(docs[docs.length - 1], order) });
    if (hasPrevious) result.previousCursor = encodeCursor(plan, { d: 'p', position: positionOf(docs[0], order) });
  }
  if (wantsIncludes) result.included = await includes(ctx, plan, docs);
  return result;
}

/** How entry predicates are matched here: `$elemMatch`, or FerretDB's expansion over positions up
 * to the longest entry arrays of the types (all types for a system search). */
async function compileOptions(ctx: SearchContext, types: string[]): Promise<CompileOptions> {
  const geo = ctx.capabilities.geoIndexes;
  if (ctx.capabilities.elemMatchOnDocuments) return { entries: { mode: 'elemMatch' }, geo };
  const meta = ctx.db.collection<{ _id: string } & Partial<Record<IndexKind, number>>>(META);
  // Facts `arity/Type/kind/n` (field t) and documents of the older form `arity/Type`.
  const filter = types.length ? { $or: [{ _id: { $in: types.map(arityKey) } }, { t: { $in: [...types] } }] } : { _id: { $regex: '^arity/' } };
  const arity: Partial<Record<IndexKind, number>> = {};
  for (const doc of await meta.find(filter, queryOptions(ctx)).toArray()) {
    for (const [k, v] of Object.entries(doc)) {
      if (k !== '_id' && k !== 't' && typeof v === 'number') arity[k as IndexKind] = Math.max(arity[k as IndexKind] ?? 0, v);
    }
  }
  return { entries: { mode: 'positions', arity }, geo };
}

// ---- chains and _has ---------------------------------------------------------------------------

async function resolveAll(ctx: SearchContext, types: string[], where: Predicate[]): Promise<ResolvedPredicate[]> {
  return Promise.all(where.map((p) => resolve(ctx, types, p)));
}

/** `types`: the types the predicate applies to (a chain's targets inside a chain). */
async function resolve(ctx: SearchContext, types: string[], p: Predicate): Promise<ResolvedPredicate> {
  switch (p.kind) {
    case 'and':
      return { kind: 'and', all: await Promise.all(p.all.map((x) => resolve(ctx, types, x))) };
    case 'or':
      return { kind: 'or', any: await Promise.all(p.any.map((x) => resolve(ctx, types, x))) };
    case 'not':
      return { kind: 'not', predicate: await resolve(ctx, types, p.predicate) };
    case 'near':
      return resolveNear(ctx, types, p, await compileOptions(ctx, types));
    case 'chain': {
      // The targets that satisfy the chained criteria, then "references one of them".
      const docs = await subQuery(ctx, p.targetTypes, p.where, { t: 1, id: 1 }, `the chain ${p.param}`);
      const byType = new Map<string, string[]>();
      for (const d of docs) byType.set(d.t as string, [...(byType.get(d.t as string) ?? []), d.id as string]);
      return { kind: 'reference-targets', param: p.param, targets: [...byType].map(([type, ids]) => ({ type, ids })) };
    }
    case 'has': {
      // The sources that satisfy `_has` criteria, then "is referenced by one of them".
      const docs = await subQuery(ctx, [p.sourceType], p.where, { 'ix.reference': 1 }, `_has:${p.sourceType}:${p.param}`);
      const keys = new Set<string>();
      for (const d of docs) {
        for (const e of referenceEntries(d)) if (e.p === p.param && e.t && e.i) keys.add(`${e.t}/${e.i}`);
      }
      return { kind: 'keys', keys: [...keys] };
    }
    case 'followed':
      return { kind: 'keys', keys: await followedKeys(ctx, types, p) };
    case 'latest':
      return { kind: 'keys', keys: await latestKeys(ctx, p) };
    default:
      return p;
  }
}

interface StoredDate {
  p: string;
  lo?: number;
}

function leastStart(doc: Document, param: string): number | undefined {
  let least: number | undefined;
  for (const d of ((doc.ix as { date?: StoredDate[] } | undefined)?.date ?? [])) if (d.p === param && typeof d.lo === 'number' && (least === undefined || d.lo < least)) least = d.lo;
  return least;
}

/** `followed` without joins (FerretDB has no `$lookup`): the candidate follow-ups' `per` targets
 * and `to` starts (projections only, sorted per target), then each resource of `types` with a
 * `per` target and a `from` date, checked against its target's starts. */
async function followedKeys(ctx: SearchContext, types: string[], p: Extract<Predicate, { kind: 'followed' }>): Promise<string[]> {
  const starts = new Map<string, Array<{ at: number; key: string }>>();
  for (const d of await subQuery(ctx, [p.sourceType], p.where, { t: 1, id: 1, 'ix.reference': 1, 'ix.date': 1 }, `the follow-up ${p.sourceType}`)) {
    const at = leastStart(d, p.to);
    if (at === undefined) continue;
    for (const e of referenceEntries(d)) {
      if (e.p !== p.per || !e.t || !e.i) continue;
      const target = `${e.t}/${e.i}`;
      starts.set(target, [...(starts.get(target) ?? []), { at, key: `${d.t as string}/${d.id as string}` }]);
    }
  }
  const keys: string[] = [];
  if (!starts.size) return keys;
  const cursor = ctx.db
    .collection<StoredVersion>(RESOURCES)
    .find(compileSearch(types, [], await compileOptions(ctx, types)), { projection: { t: 1, id: 1, 'ix.reference': 1, 'ix.date': 1 }, ...queryOptions(ctx) });
  for await (const d of cursor) {
    const from = leastStart(d, p.from);
    if (from === undefined) continue;
    const key = `${d.t as string}/${d.id as string}`;
    const followed = referenceEntries(d).some((e) => e.p === p.per && e.t && e.i && (starts.get(`${e.t}/${e.i}`) ?? []).some((c) => c.key !== key && c.at > from && c.at <= from + p.withinMs));
    if (followed) keys.push(key);
    if (keys.length > MAX_SUBQUERY_IDS) throw mongoErrors.tooCostly(`the follow-up ${p.sourceType}`, MAX_SUBQUERY_IDS);
  }
  return keys;
}

/** `latest` without window stages (FerretDB has no `$setWindowFields`/`$topN`), as mongo/latest.ts
 * does for $lastn: the candidates streamed with a projection of their references and dates only,
 * the most recent kept per `per` target (same order: greatest `hi` of `by`, missing last, id
 * descending), then which of the chosen satisfy `where` (by key, in batches), and their targets. */
async function latestKeys(ctx: SearchContext, p: Extract<Predicate, { kind: 'latest' }>): Promise<string[]> {
  const best = new Map<string, { id: string; at: number | null }>();
  const filter = compileSearch([p.sourceType], await resolveAll(ctx, [p.sourceType], p.among), await compileOptions(ctx, [p.sourceType]));
  const cursor = ctx.db.collection<StoredVersion>(RESOURCES).find(filter, { projection: { id: 1, 'ix.reference': 1, 'ix.date': 1 }, batchSize: 1000, ...queryOptions(ctx) });
  for await (const d of cursor) {
    let at: number | null = null;
    for (const e of ((d.ix as { date?: Array<{ p: string; hi?: number }> } | undefined)?.date ?? [])) if (e.p === p.by && typeof e.hi === 'number' && (at === null || e.hi > at)) at = e.hi;
    const id = d.id as string;
    for (const e of referenceEntries(d)) {
      if (e.p !== p.per || !e.t || !e.i) continue;
      const target = `${e.t}/${e.i}`;
      const current = best.get(target);
      const later = !current || (at !== current.at ? current.at === null || (at !== null && at > current.at) : id > current.id);
      if (later) best.set(target, { id, at });
    }
  }
  const targetsOf = new Map<string, string[]>();
  for (const [target, { id }] of best) targetsOf.set(id, [...(targetsOf.get(id) ?? []), target]);
  const chosen = [...targetsOf.keys()];
  const where = await resolveAll(ctx, [p.sourceType], p.where);
  const options = await compileOptions(ctx, [p.sourceType]);
  const keys: string[] = [];
  for (let i = 0; i < chosen.length; i += 1000) {
    const batch: ResolvedPredicate = { kind: 'keys', keys: chosen.slice(i, i + 1000).map((id) => `${p.sourceType}/${id}`) };
    const docs = await ctx.db.collection<StoredVersion>(RESOURCES).find(compileSearch([p.sourceType], [batch, ...where], options), { projection: { id: 1 }, ...queryOptions(ctx) }).toArray();
    for (const d of docs) keys.push(...(targetsOf.get(d.id as string) ?? []));
    if (keys.length > MAX_SUBQUERY_IDS) throw mongoErrors.tooCostly(`the most recent ${p.sourceType}`, MAX_SUBQUERY_IDS);
  }
  return keys;
}

async function subQuery(ctx: SearchContext, types: string[], where: Predicate[], projection: Document, what: string): Promise<Document[]> {
  const filter = compileSearch(types, await resolveAll(ctx, types, where), await compileOptions(ctx, types));
  const docs = await ctx.db
    .collection<StoredVersion>(RESOURCES)
    .find(filter, { projection, ...queryOptions(ctx) })
    .limit(MAX_SUBQUERY_IDS + 1)
    .toArray();
  if (docs.length > MAX_SUBQUERY_IDS) throw mongoErrors.tooCostly(what, MAX_SUBQUERY_IDS);
  return docs;
}

interface StoredReference {
  p: string;
  t?: string;
  i?: string;
}

function referenceEntries(doc: Document): StoredReference[] {
  const ix = doc.ix as { reference?: StoredReference[] } | undefined;
  return ix?.reference ?? [];
}

// ---- _include / _revinclude --------------------------------------------------------------------

async function includes(ctx: SearchContext, plan: SearchPlan, matches: Document[]): Promise<ResourceVersion[]> {
  const limit = plan.maxIncluded ?? DEFAULT_MAX_INCLUDED;
  const seen = new Set(matches.map((d) => `${d.t as string}/${d.id as string}`));
  const included: Document[] = [];
  let round = matches;
  for (let first = true; round.length && included.length < limit; first = false) {
    const found: Document[] = [];
    for (const spec of plan.include) if (first || spec.iterate) found.push(...(await forwardIncludes(ctx, spec, round)));
    for (const spec of plan.revinclude) if (first || spec.iterate) found.push(...(await reverseIncludes(ctx, spec, round)));
    round = [];
    for (const d of found) {
      const key = `${d.t as string}/${d.id as string}`;
      if (seen.has(key) || included.length >= limit) continue;
      seen.add(key);
      included.push(d);
      round.push(d);
    }
  }
  return included.map(toResourceVersion);
}

const INCLUDE_PROJECTION = { ...VERSION_PROJECTION, 'ix.reference': 1 };

async function forwardIncludes(ctx: SearchContext, spec: IncludeSpec, sources: Document[]): Promise<Document[]> {
  const keys = new Set<string>();
  for (const d of sources) {
    if (spec.sourceType !== '*' && d.t !== spec.sourceType) continue;
    for (const e of referenceEntries(d)) {
      if ((spec.param === '*' || e.p === spec.param) && e.t && e.i && (!spec.targetType || e.t === spec.targetType)) keys.add(`${e.t}/${e.i}`);
    }
  }
  if (!keys.size) return [];
  return ctx.db
    .collection<StoredVersion>(RESOURCES)
    .find({ _id: { $in: [...keys] }, d: false }, { projection: INCLUDE_PROJECTION, ...queryOptions(ctx) })
    .toArray();
}

async function reverseIncludes(ctx: SearchContext, spec: IncludeSpec, targets: Document[]): Promise<Document[]> {
  const byType = new Map<string, string[]>();
  for (const d of targets) {
    if (spec.targetType && d.t !== spec.targetType) continue;
    byType.set(d.t as string, [...(byType.get(d.t as string) ?? []), d.id as string]);
  }
  if (!byType.size) return [];
  const types = spec.sourceType === '*' ? [] : [spec.sourceType];
  const options = await compileOptions(ctx, types);
  const referencing = compilePredicate(
    { kind: 'reference-targets', ...(spec.param !== '*' ? { param: spec.param } : {}), targets: [...byType].map(([type, ids]) => ({ type, ids })) },
    options,
  );
  return ctx.db
    .collection<StoredVersion>(RESOURCES)
    .find({ $and: [compileSearch(types, [], options), referencing] }, { projection: INCLUDE_PROJECTION, ...queryOptions(ctx) })
    .limit(MAX_SUBQUERY_IDS)
    .toArray();
}
