// Numeric statistics on MongoDB. FerretDB 1.x (what CI runs) has no expression operators in
// `$project`/`$group` beyond `$sum: 1`, `$min`, `$max` (no `$multiply`, `$avg`, `$push`,
// `$percentile`, `$median`), and its `$unwind` drops every field but the element. So this path
// reads the matched documents with a projection of just two index kinds (the value entries and the
// date entries — a few numbers per resource, never the resource), keeps the values (8 bytes each)
// and computes the statistics exactly in one pass plus a sort: the documented exact fallback of
// docs/analytics.md. A MongoDB ≥ 7 `$percentile`/`$median` pipeline is the faster path to add.
import type { Document } from 'mongodb';
import type { NumericStats, NumericStatsQuery } from '../engine';
import { RESOURCES } from './layout';
import { matchFilter, type SearchContext } from './search/run';
import { statsOfValues } from '../numeric-values';

const DAY_MS = 86_400_000;

interface Entry {
  p: string;
  lo: number;
  s?: string;
  c?: string;
}

interface CompositeEntry {
  p: string;
  c0?: { s?: string; c?: string };
  c1?: { s?: string; c?: string; lo?: number };
}

export async function runNumericStats(ctx: SearchContext, query: NumericStatsQuery): Promise<NumericStats> {
  const filter = await matchFilter(ctx, [query.resourceType], query.where);
  const projection: Document = query.duration ? { 'ix.date': 1 } : query.component ? { 'ix.composite': 1 } : { [`ix.${query.kind}`]: 1 };
  if (query.timeParam) projection['ix.date'] = 1;
  const cursor = ctx.db.collection(RESOURCES).find(filter, { projection, session: ctx.session, batchSize: 1000 });
  const values: number[] = [];
  const times: Array<number | undefined> = [];
  let resources = 0;
  for await (const doc of cursor) {
    resources++;
    const ix = (doc.ix ?? {}) as Record<string, Entry[] | undefined>;
    if (query.duration) {
      const from = startOf(ix.date, query.duration.from);
      const to = startOf(ix.date, query.duration.to);
      if (from !== undefined && to !== undefined) values.push(to - from);
      continue;
    }
    if (query.component) {
      for (const e of (ix.composite ?? []) as unknown as CompositeEntry[]) {
        if (e.p !== query.param || e.c0?.c !== query.component.code || typeof e.c1?.lo !== 'number') continue;
        if (query.component.system === null ? e.c0.s !== undefined : query.component.system !== undefined && e.c0.s !== query.component.system) continue;
        if (query.unit && (e.c1.c !== query.unit.code || (query.unit.system === null ? e.c1.s !== undefined : query.unit.system !== undefined && e.c1.s !== query.unit.system))) continue;
        values.push(e.c1.lo);
      }
      continue;
    }
    let time: number | undefined;
    if (query.timeParam) {
      for (const d of ix.date ?? []) if (d.p === query.timeParam && (time === undefined || d.lo < time)) time = d.lo;
    }
    for (const e of ix[query.kind] ?? []) {
      if (e.p !== query.param) continue;
      if (query.unit && (e.c !== query.unit.code || (query.unit.system === null ? e.s !== undefined : query.unit.system !== undefined && e.s !== query.unit.system))) continue;
      values.push(e.lo);
      times.push(time === undefined ? undefined : time / DAY_MS);
    }
  }
  return statsOfValues(values, query.timeParam && !query.duration ? times : undefined, query.percentiles, resources);
}

/** The least start of one date parameter's entries (a duration's end point). */
function startOf(entries: Entry[] | undefined, param: string): number | undefined {
  let least: number | undefined;
  for (const d of entries ?? []) if (d.p === param && typeof d.lo === 'number' && (least === undefined || d.lo < least)) least = d.lo;
  return least;
}
