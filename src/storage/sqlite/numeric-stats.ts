// Numeric statistics on SQLite, all in SQL over idx_number/idx_quantity: the values CTE (the
// entries of one parameter on the matched rids, each optionally paired with its resource's time
// from its own key range of idx_date); one statement for count, sum, min, max, mean and the
// central sums Σ(x − mean)^k and the regression sums (the mean is a scalar sub-query, so they are
// computed around it, not from raw power sums); exact percentiles from one ordered pass
// (row_number() over the values, the wanted ranks kept).
import type Database from 'better-sqlite3';
import type { NumericStats, NumericStatsQuery } from '../engine';
import { matchConditions } from './search/compile';
import { Builder } from './search/sql-builder';
import { RID_SHIFT } from './search/schema';
import { prepared } from './statement-cache';

const DAY_MS = 86_400_000;

// `+d.p`: the parameter test must not pick the (p, lo, hi) index — that scans every date entry of
// the parameter per value (seconds on a 10k store); the key range of the one resource is the way in.
function valuesCte(query: NumericStatsQuery, b: Builder): string {
  const types = [query.resourceType];
  if (query.duration) {
    // One value per resource: the start of one date parameter to the start of another, each read
    // from the resource's own key range of idx_date. The matched rids are materialised first, so
    // the two look-ups run once per match (not once per resource of the type, which an inlined
    // `x IS NOT NULL` test made SQLite do).
    // Bound parameters follow the text's order: the match conditions first.
    const matched = matchConditions(types, query.where, b).join(' AND ');
    const start = (param: string) => `(SELECT min(d.lo) FROM idx_date d WHERE d.k >= (m.rid << ${RID_SHIFT}) AND d.k < ((m.rid + 1) << ${RID_SHIFT}) AND +d.p IN ${b.paramIds(param, types)})`;
    const to = start(query.duration.to);
    const from = start(query.duration.from);
    return `m AS MATERIALIZED (SELECT r.rid FROM resources r WHERE ${matched}), v AS (SELECT x, NULL AS t FROM (SELECT ${to} - ${from} AS x FROM m) WHERE x IS NOT NULL)`;
  }
  const rid = `(x.k >> ${RID_SHIFT})`;
  if (query.component) return componentValuesCte(query, query.component, b, rid);
  const table = query.kind === 'quantity' ? 'idx_quantity' : 'idx_number';
  const time = query.timeParam
    ? `(SELECT min(d.lo) FROM idx_date d WHERE d.k >= (${rid} << ${RID_SHIFT}) AND d.k < ((${rid} + 1) << ${RID_SHIFT}) AND +d.p IN ${b.paramIds(query.timeParam, types)}) / ${DAY_MS}.0`
    : 'NULL';
  const where = [`x.p IN ${b.paramIds(query.param, types)}`];
  if (query.unit) {
    where.push(`x.c = ${b.bind(query.unit.code)}`);
    if (query.unit.system === null) where.push('x.s IS NULL');
    else if (query.unit.system !== undefined) where.push(`x.s = ${b.bind(query.unit.system)}`);
  }
  where.push(`${rid} IN (SELECT r.rid FROM resources r WHERE ${matchConditions(types, query.where, b).join(' AND ')})`);
  return `v AS (SELECT x.lo AS x, ${time} AS t FROM ${table} x WHERE ${where.join(' AND ')})`;
}

/** Composite entries (jsonb c0 = token, c1 = quantity): the quantity of those whose token is the code. */
function componentValuesCte(query: NumericStatsQuery, code: { system?: string | null; code: string }, b: Builder, rid: string): string {
  const types = [query.resourceType];
  const where = [`x.p IN ${b.paramIds(query.param, types)}`, `x.c0 ->> '$.c' = ${b.bind(code.code)}`];
  if (code.system === null) where.push(`x.c0 ->> '$.s' IS NULL`);
  else if (code.system !== undefined) where.push(`x.c0 ->> '$.s' = ${b.bind(code.system)}`);
  if (query.unit) {
    where.push(`x.c1 ->> '$.c' = ${b.bind(query.unit.code)}`);
    if (query.unit.system === null) where.push(`x.c1 ->> '$.s' IS NULL`);
    else if (query.unit.system !== undefined) where.push(`x.c1 ->> '$.s' = ${b.bind(query.unit.system)}`);
  }
  where.push(`x.c1 ->> '$.lo' IS NOT NULL`);
  where.push(`${rid} IN (SELECT r.rid FROM resources r WHERE ${matchConditions(types, query.where, b).join(' AND ')})`);
  return `v AS (SELECT x.c1 ->> '$.lo' AS x, NULL AS t FROM idx_composite x WHERE ${where.join(' AND ')})`;
}

export function runNumericStats(db: Database.Database, query: NumericStatsQuery): NumericStats {
  for (const p of query.percentiles) if (!(p >= 0 && p <= 1)) throw new Error('numericStats: percentiles must be within [0, 1]');
  const b = new Builder();
  const cte = valuesCte(query, b);
  const sql =
    `WITH ${cte}, s AS (SELECT avg(x) AS mx, avg(CASE WHEN t IS NOT NULL THEN x END) AS mxt, avg(t) AS mt FROM v) ` +
    `SELECT count(*) AS n, total(x) AS sum, min(x) AS min, max(x) AS max, s.mx AS mean, ` +
    `total((x - s.mx) * (x - s.mx)) AS m2, total((x - s.mx) * (x - s.mx) * (x - s.mx)) AS m3, ` +
    `total((x - s.mx) * (x - s.mx) * (x - s.mx) * (x - s.mx)) AS m4, ` +
    `count(t) AS nt, s.mt AS mt, s.mxt AS mxt, total((t - s.mt) * (t - s.mt)) AS stt, total((t - s.mt) * (x - s.mxt)) AS stx ` +
    `FROM v, s`;
  const row = prepared(db, sql).get(...b.params) as Record<string, number | null>;
  const t = new Builder();
  const resources = (prepared(db, `SELECT count(*) AS n FROM resources r WHERE ${matchConditions([query.resourceType], query.where, t).join(' AND ')}`).get(...t.params) as { n: number }).n;
  const n = row.n as number;
  const stats: NumericStats = { resources, count: n, sum: row.sum as number, m2: row.m2 as number, m3: row.m3 as number, m4: row.m4 as number, percentiles: [] };
  if (n) {
    stats.min = row.min as number;
    stats.max = row.max as number;
    stats.mean = row.mean as number;
    stats.percentiles = percentiles(db, query, n);
  }
  if (query.timeParam) {
    const nt = row.nt as number;
    stats.regression = { n: nt };
    if (nt >= 2 && (row.stt as number) > 0) {
      const slope = (row.stx as number) / (row.stt as number);
      stats.regression.slope = slope;
      stats.regression.intercept = (row.mxt as number) - slope * (row.mt as number);
    }
  }
  return stats;
}

/** Exact: the values at the two ranks around each percentile, all read by one ordered pass. */
function percentiles(db: Database.Database, query: NumericStatsQuery, n: number): number[] {
  const ranks = new Set<number>();
  for (const p of query.percentiles) {
    const h = (n - 1) * p;
    ranks.add(Math.floor(h));
    if (Math.floor(h) + 1 < n && h > Math.floor(h)) ranks.add(Math.floor(h) + 1);
  }
  const b = new Builder();
  const cte = valuesCte(query, b);
  const list = [...ranks].map((r) => b.bind(r)).join(', ');
  const rows = db.prepare(`WITH ${cte} SELECT r, x FROM (SELECT x, row_number() OVER (ORDER BY x) - 1 AS r FROM v) WHERE r IN (${list})`).all(...b.params) as Array<{ r: number; x: number }>;
  const at = new Map(rows.map((row) => [row.r, row.x]));
  return query.percentiles.map((p) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const x = at.get(lo)!;
    return lo + 1 < n && h > lo ? x + (h - lo) * (at.get(lo + 1)! - x) : x;
  });
}
