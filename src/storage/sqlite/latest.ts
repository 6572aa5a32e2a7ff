// "Latest N per group" on SQLite ($lastn): one statement with a window function. The matched
// resources are the rids a search would find (compile.ts); each one's token entries of the group
// parameter (and, per reference, its local targets) form the groups; its date is the greatest
// `hi` of the order parameter, read from its own key range of idx_date; row_number() over each
// group keeps the first `max`.
import type Database from 'better-sqlite3';
import type { LatestQuery, ResourceVersion } from '../engine';
import { toVersion, type VersionRow } from './rows';
import { matchConditions } from './search/compile';
import { Builder } from './search/sql-builder';
import { RID_SHIFT } from './search/schema';
import { prepared } from './statement-cache';

// `+y.p`, `+z.p`: the look-ups into one resource's rows go by its key range; an index on the
// parameter would scan every entry of the parameter instead.
export function compileLatest(query: LatestQuery): { sql: string; params: unknown[] } {
  const types = [query.resourceType];
  const b = new Builder();
  // Bound in text order: the matches, the group parameter(s), the date parameter, max.
  const matches = `SELECT r.rid, r.id FROM resources r WHERE ${matchConditions(types, query.where, b).join(' AND ')}`;
  const ridOf = (alias: string) => `(${alias}.k >> ${RID_SHIFT})`;
  const rangeOf = (alias: string, owner: string) => `${alias}.k >= (${owner} << ${RID_SHIFT}) AND ${alias}.k < ((${owner} + 1) << ${RID_SHIFT})`;
  const groupCols = ['x.s AS g0', 'x.c AS g1'];
  const partition = ['g0', 'g1'];
  let join = '';
  if (query.perReference) {
    join = ` JOIN idx_reference y ON ${rangeOf('y', ridOf('x'))} AND +y.p IN ${b.paramIds(query.perReference, types)} AND y.i IS NOT NULL`;
    groupCols.push('y.t AS g2', 'y.i AS g3');
    partition.push('g2', 'g3');
  }
  const tokenPids = b.paramIds(query.groupBy, types); // after the join's, as in the text
  const entries =
    `SELECT DISTINCT ${ridOf('x')} AS rid, ${groupCols.join(', ')} FROM idx_token x${join}` +
    ` WHERE x.p IN ${tokenPids} AND x.c IS NOT NULL AND ${ridOf('x')} IN (SELECT rid FROM m)`;
  const dated =
    `SELECT e.*, m.id, (SELECT max(z.hi) FROM idx_date z WHERE ${rangeOf('z', 'e.rid')} AND +z.p IN ${b.paramIds(query.orderBy, types)}) AS at` +
    ` FROM e JOIN m ON m.rid = e.rid`;
  const ranked = `SELECT rid, row_number() OVER (PARTITION BY ${partition.join(', ')} ORDER BY at DESC NULLS LAST, id DESC) AS n FROM d`;
  const sql =
    `WITH m AS (${matches}), e AS (${entries}), d AS (${dated}), w AS (${ranked}) ` +
    `SELECT r.type, r.id, r.version, r.last_updated, r.json FROM resources r WHERE r.rid IN (SELECT rid FROM w WHERE n <= ${b.bind(query.max)})`;
  return { sql, params: b.params };
}

export function runLatest(db: Database.Database, query: LatestQuery): ResourceVersion[] {
  if (!Number.isSafeInteger(query.max) || query.max < 1) throw new Error('latest: max must be a positive integer');
  const { sql, params } = compileLatest(query);
  return (prepared(db, sql).all(...params) as VersionRow[]).map(toVersion);
}
