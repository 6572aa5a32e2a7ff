// Aggregation on SQLite: counts computed by SQL over the idx_<kind> tables, never by loading
// resources. The matches of the query are the rids a search would find (compile.ts); each
// grouping says which kind table holds its values and which columns form a group. Later
// groupings (date buckets, number bands) and measures (statistics over a column) are further
// entries of GROUPINGS and further select expressions over the same joined rows.
import type Database from 'better-sqlite3';
import type { AggregateGroup, AggregateQuery, AggregateResult, DateBucketGrouping } from '../engine';
import { matchConditions } from './search/compile';
import { Builder, rid, type SqlFragment } from './search/sql-builder';
import { referenceKey, tokenKey, uriKey, type GroupValue } from '../aggregate-keys';
import { prepared } from './statement-cache';

interface Grouping {
  table: string;
  /** Columns forming the group, in tie-break order (ascending, NULL first as on MongoDB). */
  columns: string[];
  /** Which index rows have a group at all. */
  where: string;
  key(values: GroupValue[]): AggregateGroup['key'];
}

/** SQLite date functions on `lo` (epoch ms, UTC): the bucket's first day as text. */
const BUCKETS: Record<DateBucketGrouping['bucket'], string> = {
  day: "strftime('%Y-%m-%d', x.lo / 1000.0, 'unixepoch')",
  // 'weekday 0' moves to the coming Sunday (a Sunday stays), 6 days back is that week's Monday.
  week: "strftime('%Y-%m-%d', x.lo / 1000.0, 'unixepoch', 'weekday 0', '-6 days')",
  month: "strftime('%Y-%m', x.lo / 1000.0, 'unixepoch')",
  year: "strftime('%Y', x.lo / 1000.0, 'unixepoch')",
};

/** Starts of open periods are stored as −8.64e15 ms: no bucket. */
const OPEN_START = -8.6e15;

function groupingOf(groupBy: AggregateQuery['groupBy']): Grouping & { expressions?: string[] } {
  if (groupBy.kind === 'date') {
    const bucket = BUCKETS[groupBy.bucket];
    if (!bucket) throw new Error(`aggregate: no date bucket '${String(groupBy.bucket)}'`);
    return { table: 'idx_date', columns: ['v'], expressions: [bucket], where: `x.lo > ${OPEN_START}`, key: uriKey };
  }
  const grouping = GROUPINGS[groupBy.kind];
  if (!grouping) throw new Error(`aggregate: cannot group by '${String(groupBy.kind)}'`);
  return grouping;
}

const GROUPINGS: Record<Exclude<AggregateQuery['groupBy']['kind'], 'date'>, Grouping> = {
  token: {
    table: 'idx_token',
    columns: ['s', 'c'],
    where: 'x.c IS NOT NULL',
    key: tokenKey,
  },
  uri: {
    table: 'idx_uri',
    columns: ['v'],
    where: '1',
    key: uriKey,
  },
  reference: {
    table: 'idx_reference',
    columns: ['t', 'i', 'u'],
    where: '(x.i IS NOT NULL OR x.u IS NOT NULL)',
    key: referenceKey,
  },
};

export interface CompiledAggregate {
  /** Rows `g0 … gn, n`, largest n first. */
  groups: SqlFragment;
  /** `SELECT count(*) AS n`: resources matched. */
  total: SqlFragment;
}

export function compileAggregate(query: AggregateQuery): CompiledAggregate {
  const grouping = groupingOf(query.groupBy);
  const types = query.resourceTypes;

  const t = new Builder();
  const total = { sql: `SELECT count(*) AS n FROM resources r WHERE ${matchConditions(types, query.where, t).join(' AND ')}`, params: t.params };

  const b = new Builder();
  const cols = grouping.columns.map((c, i) => `${grouping.expressions?.[i] ?? `x.${c}`} AS g${i}`);
  const groupCols = grouping.columns.map((_, i) => `g${i}`);
  const where = [`x.p IN ${b.paramIds(query.groupBy.param, types)}`, grouping.where];
  // Index rows exist only for live resources and their pid carries the type, so without
  // predicates no row of `resources` needs reading.
  if (query.where.length) where.push(`${rid('x')} IN (SELECT r.rid FROM resources r WHERE ${matchConditions(types, query.where, b).join(' AND ')})`);
  let sql =
    `SELECT ${cols.join(', ')}, count(DISTINCT ${rid('x')}) AS n FROM ${grouping.table} x WHERE ${where.join(' AND ')}` +
    ` GROUP BY ${groupCols.join(', ')} ORDER BY n DESC, ${groupCols.join(', ')}`;
  if (query.limit !== undefined) sql += ` LIMIT ${b.bind(query.limit)}`;
  return { groups: { sql, params: b.params }, total };
}

export function runAggregate(db: Database.Database, query: AggregateQuery): AggregateResult {
  if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 0)) throw new Error(`aggregate: limit must be a non-negative integer`);
  const grouping = groupingOf(query.groupBy);
  const compiled = compileAggregate(query);
  const rows = prepared(db, compiled.groups.sql).all(...compiled.groups.params) as Record<string, GroupValue | number>[];
  const groups = rows.map((row) => ({ key: grouping.key(grouping.columns.map((_, i) => row[`g${i}`] as GroupValue)), count: row.n as number }));
  const total = (prepared(db, compiled.total.sql).get(...compiled.total.params) as { n: number }).n;
  return { groups, total };
}
