// Answers a SearchPlan: chains and `_has` first, as sub-queries whose ids feed `$in` (no
// `$lookup`, which FerretDB lacks, and a sharded cluster would broadcast), then the page of
// matches, the total, and `_include`/`_revinclude` as further `$in` queries.
import type { ClientSession, Db, Document } from 'mongodb';
import type { IndexKind } from '../../../search/index-values';
import type { IncludeSpec, Predicate, SearchPlan, SearchResult } from '../../../search/plan';
import type { ResourceVersion, WorkBudget } from '../../engine';
import type { Capabilities } from '../connection';
import { mongoErrors } from '../errors';
import { META, RESOURCES, VERSION_PROJECTION, toResourceVersion, type StoredVersion } from '../layout';
import { arityKey } from '../write';
import { compilePredicate, compileSearch, type CompileOptions, type ResolvedPredicate } from './compile';
import { afterPosition, decodeCursor, encodeCursor, positionOf, sortDocument, sortFields } from './paging';

export interface SearchContext {
  db: Db;
  capabilities: Capabilities;
  session?: ClientSession;
  /** The request's time budget: checked before each query, and what remains of it goes to the
   * database as maxTimeMS (with the signal, so a client that has gone stops the query too). */
  budget?: WorkBudget;
}

interface QueryOptions {
  session?: ClientSession;
  maxTimeMS?: number;
  signal?: AbortSignal;
}

/** The options of the next query: throws when the budget is spent, else gives the rest of it. */
export function queryOptions(ctx: SearchContext): QueryOptions {
  const budget = ctx.budget;
  if (!budget) return { session: ctx.session };
  budget.check();
  const left = budget.remainingMs();
  return { session: ctx.session, signal: budget.signal, ...(Number.isFinite(left) ? { maxTimeMS: Math.max(1, Math.ceil(left)) } : {}) };
}

/** MaxTimeMSExpired: the database stopped the query because the budget we gave it ran out. */
const MAX_TIME_EXPIRED = 50;

/** Runs `work` under the budget: the database's time-limit error becomes the budget's 503, and
 * any error after the budget stopped (the driver aborting on the signal) becomes its reason. */
export async function withinBudget<T>(ctx: SearchContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const budget = ctx.budget;
    if (!budget) throw e;
    if ((e as { code?: unknown }).code === MAX_TIME_EXPIRED) throw budget.exceeded();
    budget.check(); // throws the budget's own reason when that is why the query failed
    throw e;
  }
}

/** Most ids a chain or `_has` sub-query may feed into `$in`. */
export const MAX_SUBQUERY_IDS = 10000;
/** Default cap on resources added by includes when the plan sets none. */
const DEFAULT_MAX_INCLUDED = 1000;

/** The filter of the live resources of `types` (all when empty) matching every predicate, chains
 * and `_has` resolved first: a search's, and an aggregation's `$match`. */
export async function matchFilter(ctx: SearchContext, types: string[], where: Predicate[]): Promise<Document> {
  return compileSearch(types, await resolveAll(ctx, where), await compileOptions(ctx, types));
}

export function runSearch(ctx: SearchContext, plan: SearchPlan): Promise<SearchResult> {
  return withinBudget(ctx, () => search(ctx, plan));
}

async function search(ctx: SearchContext, plan: SearchPlan): Promise<SearchResult> {
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
  if (ctx.capabilities.elemMatchOnDocuments) return { entries: { mode: 'elemMatch' } };
  const meta = ctx.db.collection<{ _id: string } & Partial<Record<IndexKind, number>>>(META);
  // Facts `arity/Type/kind/n` (field t) and documents of the older form `arity/Type`.
  const filter = types.length ? { $or: [{ _id: { $in: types.map(arityKey) } }, { t: { $in: [...types] } }] } : { _id: { $regex: '^arity/' } };
  const arity: Partial<Record<IndexKind, number>> = {};
  for (const doc of await meta.find(filter, queryOptions(ctx)).toArray()) {
    for (const [k, v] of Object.entries(doc)) {
      if (k !== '_id' && k !== 't' && typeof v === 'number') arity[k as IndexKind] = Math.max(arity[k as IndexKind] ?? 0, v);
    }
  }
  return { entries: { mode: 'positions', arity } };
}

// ---- chains and _has ---------------------------------------------------------------------------

async function resolveAll(ctx: SearchContext, where: Predicate[]): Promise<ResolvedPredicate[]> {
  return Promise.all(where.map((p) => resolve(ctx, p)));
}

async function resolve(ctx: SearchContext, p: Predicate): Promise<ResolvedPredicate> {
  switch (p.kind) {
    case 'and':
      return { kind: 'and', all: await Promise.all(p.all.map((x) => resolve(ctx, x))) };
    case 'or':
      return { kind: 'or', any: await Promise.all(p.any.map((x) => resolve(ctx, x))) };
    case 'not':
      return { kind: 'not', predicate: await resolve(ctx, p.predicate) };
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
    default:
      return p;
  }
}

async function subQuery(ctx: SearchContext, types: string[], where: Predicate[], projection: Document, what: string): Promise<Document[]> {
  const filter = compileSearch(types, await resolveAll(ctx, where), await compileOptions(ctx, types));
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
