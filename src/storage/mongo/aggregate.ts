// Aggregation on MongoDB: one pipeline over `resources`, counted by the server, never by loading
// resources. `$match` is the compiled search filter (chains and `_has` resolved first, as for a
// search), then the entries of one kind are unwound, those of the grouped parameter kept, and two
// `$group`s count each resource once per group. Later groupings and measures are further entries
// of GROUPINGS and further accumulators on the same unwound entries.
//
// FerretDB 1.x: only `$match`, `$project` (inclusion), `$unwind` (a path), `$group` with `$sum`,
// `$sort`, `$limit` and `$count` are used — it lacks `$cond`, `$ifNull`, `$facet` and most
// expression operators. Its `$unwind` of a nested array returns just `_id` and the element under
// the path's last name (`token`, not `ix.token`; FerretDB issues #2914/#3083), so the stages after
// it read both places; stored documents never have top-level `token`/`uri`/`reference` fields, so
// on each server exactly one of the two is present.
import type { Document } from 'mongodb';
import type { AggregateGroup, AggregateQuery, AggregateResult } from '../engine';
import { referenceKey, tokenKey, uriKey, type GroupValue } from '../aggregate-keys';
import { RESOURCES } from './layout';
import { matchFilter, queryOptions, withinBudget, type SearchContext } from './search/run';

interface Grouping {
  kind: 'token' | 'uri' | 'reference';
  /** Entry fields forming the group, in tie-break order (ascending, missing first as in SQLite). */
  fields: string[];
  /** Which entries have a group at all, for entry fields under `at`. */
  entry(at: string): Document;
  key(values: GroupValue[]): AggregateGroup['key'];
}

const GROUPINGS: Record<AggregateQuery['groupBy']['kind'], Grouping> = {
  token: { kind: 'token', fields: ['s', 'c'], entry: (at) => ({ [`${at}c`]: { $exists: true } }), key: tokenKey },
  uri: { kind: 'uri', fields: ['v'], entry: () => ({}), key: uriKey },
  reference: {
    kind: 'reference',
    fields: ['t', 'i', 'u'],
    entry: (at) => ({ $or: [{ [`${at}i`]: { $exists: true } }, { [`${at}u`]: { $exists: true } }] }),
    key: referenceKey,
  },
};

/** Pure (golden-testable): the pipeline after the `$match` of the matched resources. */
export function groupStages(query: AggregateQuery): Document[] {
  const g = GROUPINGS[query.groupBy.kind];
  if (!g) throw new Error(`aggregate: cannot group by '${String(query.groupBy.kind)}'`);
  // `a…`: the element where MongoDB leaves it; `b…`: where FerretDB 1.x puts it.
  const places = [`ix.${g.kind}.`, `${g.kind}.`];
  const names = places.flatMap((_, pi) => g.fields.map((_, fi) => `${pi ? 'b' : 'a'}${fi}`));
  const paths = places.flatMap((at) => g.fields.map((f) => `$${at}${f}`));
  const perResource: Document = { r: '$_id' };
  names.forEach((n, i) => (perResource[n] = paths[i]));
  const perGroup: Document = {};
  for (const n of names) perGroup[n] = `$_id.${n}`;
  const sort: Document = { n: -1 };
  for (const n of names) sort[`_id.${n}`] = 1;
  const stages: Document[] = [
    { $project: { [`ix.${g.kind}`]: 1 } },
    { $unwind: `$ix.${g.kind}` },
    { $match: { $or: places.map((at) => ({ [`${at}p`]: query.groupBy.param, ...g.entry(at) })) } },
    // Once per resource and group, then count the resources of each group.
    { $group: { _id: perResource } },
    { $group: { _id: perGroup, n: { $sum: 1 } } },
    { $sort: sort },
  ];
  if (query.limit !== undefined) stages.push({ $limit: query.limit });
  return stages;
}

export function runAggregate(ctx: SearchContext, query: AggregateQuery): Promise<AggregateResult> {
  return withinBudget(ctx, () => aggregate(ctx, query));
}

async function aggregate(ctx: SearchContext, query: AggregateQuery): Promise<AggregateResult> {
  if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 0)) throw new Error('aggregate: limit must be a non-negative integer');
  const g = GROUPINGS[query.groupBy.kind];
  const filter = await matchFilter(ctx, query.resourceTypes, query.where);
  const resources = ctx.db.collection(RESOURCES);
  const total = await resources.countDocuments(filter, queryOptions(ctx));
  if (query.limit === 0 || total === 0) return { groups: [], total };
  const rows = await resources.aggregate([{ $match: filter }, ...groupStages(query)], { ...queryOptions(ctx), allowDiskUse: true }).toArray();
  const groups = rows.map((row) => {
    const id = row._id as Record<string, GroupValue | undefined>;
    const values = g.fields.map((_, i) => id[`a${i}`] ?? id[`b${i}`] ?? null);
    return { key: g.key(values), count: row.n as number };
  });
  return { groups, total };
}
