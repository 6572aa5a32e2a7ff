// SearchPlan → whole SQL queries: the page (sort keys, keyset paging), the count, and the sort
// walk. Pure: returns SQL text and bound parameters, so golden tests pin the output. Conditions of
// single predicates come from sql-builder.ts.
import type { Predicate, RangePredicate, SearchPlan, SortKey } from '../../../search/plan';
import type { IndexKind } from '../../../search/index-values';
import { Builder, LEAF_KINDS, TABLE, TEXT_COLUMN, type LeafPredicate, type SqlFragment } from './sql-builder';
import { RID_SHIFT } from './schema';
import { nearSortExpression } from './near';
import { tokenSortRanks } from '../../../search/sort-ranks';

/** Value lookups that typically select few resources: they drive a query (see compileSearch). */
const DRIVING_KINDS = new Set<Predicate['kind']>(['id', 'token', 'reference', 'uri']);
/** Prefixes of a range open on one side. */
const OPEN_PREFIXES = new Set<string>(['gt', 'ge', 'lt', 'le', 'sa', 'eb']);

export type SortKinds = Record<string, readonly IndexKind[]>;

/** Per kind: the value a sort key takes from one index row (the indexer's SortEntry rules). */
const SORT_VALUE: Partial<Record<IndexKind, { min: string; max: string }>> = {
  string: { min: 'v', max: 'v' },
  token: { min: 'c', max: 'c' },
  date: { min: 'lo', max: 'hi' },
  number: { min: 'lo', max: 'hi' },
  quantity: { min: 'lo', max: 'hi' },
  reference: { min: "CASE WHEN t <> '' AND i <> '' THEN t || '/' || i WHEN u <> '' THEN u END", max: "CASE WHEN t <> '' AND i <> '' THEN t || '/' || i WHEN u <> '' THEN u END" },
  uri: { min: 'v', max: 'v' },
};

/**
 * The SQL expression of a sort key's value for resource row `res` (NULL when missing): the min
 * (ascending) or max (descending) of the parameter's rows, read from the resource's key range of
 * its kind table, so no separate sort table has to be written on ingest.
 */
export function sortExpression(key: SortKey, b: Builder, kinds: readonly IndexKind[], types: readonly string[], res = 'r'): string {
  if (key.param === '_id') return `${res}.id`;
  if (key.param === '_lastUpdated') return `${res}.last_updated`;
  if (key.near) return nearSortExpression(key.near, () => b.paramIds(key.param, types), (v) => b.bind(v), res);
  const exprs = kinds.flatMap((kind) => {
    let value = SORT_VALUE[kind];
    if (!value) return [];
    // Ranked codes (request priority) sort by rank: the same on every type searched, or by code.
    const ranks = kind === 'token' && types.length ? tokenSortRanks(types[0], key.param) : undefined;
    if (ranks && types.every((t) => tokenSortRanks(t, key.param) === ranks)) {
      // Inlined, not bound: the expression may be placed more than once in a statement, and the
      // ranks are this server's constants of letters and digits, never client text.
      const literal = (x: string) => `'${x.replace(/[^a-z0-9-]/g, '')}'`;
      const ranked = `CASE c ${Object.entries(ranks).map(([code, rank]) => `WHEN ${literal(code)} THEN ${literal(rank)}`).join(' ')} ELSE c END`;
      value = { min: ranked, max: ranked };
    }
    const range = `k >= ${res}.rid << ${RID_SHIFT} AND k < (${res}.rid + 1) << ${RID_SHIFT}`;
    const agg = key.descending ? `max(${value.max})` : `min(${value.min})`;
    // NOT INDEXED: the rowid range is the only good access path for one resource's rows; left to
    // itself the planner may pick the (p, …) index and scan the parameter's rows for every match.
    return [`(SELECT ${agg} FROM ${TABLE[kind]} NOT INDEXED WHERE ${range} AND p IN ${b.paramIds(key.param, types)})`];
  });
  if (!exprs.length) return 'NULL';
  return exprs.length === 1 ? exprs[0] : `coalesce(${exprs.join(', ')})`;
}

/** Position of a row in the sort order: its sort key values and rid (the unique tie-breaker). */
export interface Position {
  keys: Array<string | number | null>;
  rid: number;
}

export interface CompiledSearch {
  /** Selects `rid, type, id, version, last_updated, json, k0…kn` of one page (LIMIT count + 1). */
  page: SqlFragment;
  /** `SELECT count(*) AS n …` over all matches (no paging). */
  count: SqlFragment;
}

/**
 * Compiles a plan. `after` continues after a position (next page); `before` goes back from one
 * (previous page: rows come back in reverse order and the caller flips them).
 */
/**
 * The conditions on `resources r` of the live resources of `types` (all when empty) that satisfy
 * every predicate of `where`: the WHERE of a search, and of an aggregation's matches.
 */
export function matchConditions(types: readonly string[], where: readonly Predicate[], b: Builder): string[] {
  // One-sided ranges (`date=ge2024`, `value-quantity=lt5`) usually match a large share of a type:
  // a fifth of all Observations for that date. Next to a value lookup (a code, a reference, an
  // id) they are checked per candidate row rather than built as a rid set of their own (100k
  // store: 5 % code + date=ge 26 ms → 0.7 ms). A closed range (`date=2024-03-05`) is usually
  // narrow and keeps its set: checking it per row of a broad token like status=final was slower.
  const driven = where.some((p) => DRIVING_KINDS.has(p.kind));
  const checkPerRow = (p: Predicate): p is RangePredicate => driven && p.kind === 'range' && OPEN_PREFIXES.has(p.prefix);
  const conds = ['r.deleted = 0'];
  if (types.length) conds.push(`r.type IN (${types.map((t) => b.bind(t)).join(', ')})`);
  for (const p of where) conds.push(checkPerRow(p) ? b.rowCheck(p, 'r', types) : b.predicate(p, 'r', types));
  return conds;
}

export function compileSearch(plan: SearchPlan, page: { after?: Position; before?: Position } = {}, sortKinds: SortKinds = {}): CompiledSearch {
  const filter = (b: Builder): string[] => matchConditions(plan.resourceTypes, plan.where, b);

  const cb = new Builder();
  const count: SqlFragment = { sql: countSql(plan, cb) ?? `SELECT count(*) AS n FROM resources r WHERE ${filter(cb).join(' AND ')}`, params: cb.params };

  const b = new Builder();
  const backwards = page.before !== undefined;
  const keyExprs = plan.sort.map((k) => sortExpression(k, b, sortKinds[k.param] ?? [], plan.resourceTypes));
  const select = ['r.rid', 'r.type', 'r.id', 'r.version', 'r.last_updated', 'r.json', ...keyExprs.map((e, i) => `${e} AS k${i}`)];
  const conds = filter(b);
  const position = page.after ?? page.before;
  if (position) conds.push(keyset(plan.sort, position, backwards, b));
  const order: string[] = [];
  plan.sort.forEach((k, i) => {
    const desc = k.descending !== backwards;
    // Missing values last in the requested order (first when walking backwards).
    order.push(`k${i} IS NULL${backwards ? ' DESC' : ''}`, `k${i}${desc ? ' DESC' : ''}`);
  });
  order.push(`r.rid${backwards ? ' DESC' : ''}`);
  const sql = `SELECT ${select.join(', ')} FROM resources r WHERE ${conds.join(' AND ')} ORDER BY ${order.join(', ')} LIMIT ${b.bind(plan.count + 1)}`;
  return { page: { sql, params: b.params }, count };
}

/**
 * `_summary=count` of a single-leaf plan from the index alone: index rows exist only for live
 * resources and carry their type through the parameter id, so no row of `resources` is read
 * (joining every match to `resources` was the cost of counting). Undefined when not applicable.
 */
function countSql(plan: SearchPlan, b: Builder): string | undefined {
  if (plan.where.length !== 1 || !LEAF_KINDS.has(plan.where[0].kind)) return undefined;
  const p = plan.where[0] as LeafPredicate;
  if (p.kind === 'string' && TEXT_COLUMN[p.param]) return undefined;
  const leaf = b.leaf(p, plan.resourceTypes);
  return `SELECT count(DISTINCT ${leaf.rid}) AS n FROM ${leaf.table} WHERE ${leaf.where}`;
}

/** Rows strictly after (or before) `pos` in the sort order, missing values sorting last. */
function keyset(sort: SortKey[], pos: Position, backwards: boolean, b: Builder): string {
  // Equalities are rebuilt for each alternative: every `?` in the text needs its own bound value.
  const equal = (j: number) => (pos.keys[j] === null ? `k${j} IS NULL` : `k${j} = ${b.bind(pos.keys[j])}`);
  const alternatives: string[] = [];
  for (let i = 0; i <= sort.length; i++) {
    const conds: string[] = [];
    for (let j = 0; j < i; j++) conds.push(equal(j));
    if (i === sort.length) conds.push(`r.rid ${backwards ? '<' : '>'} ${b.bind(pos.rid)}`);
    else {
      const e = `k${i}`;
      const v = pos.keys[i];
      const asc = !sort[i].descending;
      if (!backwards) conds.push(v === null ? '0' : `(${e} ${asc ? '>' : '<'} ${b.bind(v)} OR ${e} IS NULL)`);
      else conds.push(v === null ? `${e} IS NOT NULL` : `${e} ${asc ? '<' : '>'} ${b.bind(v)}`);
    }
    alternatives.push(conds.join(' AND '));
  }
  return `(${alternatives.map((a) => `(${a})`).join(' OR ')})`;
}

/** Index order of each kind's sort value: the column whose (p, column) index SQLite walks. */
const WALK_COLUMN: Partial<Record<IndexKind, { asc: string; desc?: string }>> = {
  date: { asc: 'lo', desc: 'hi' }, // idx_date_plo / idx_date_phi
  number: { asc: 'lo' }, // no (p, hi) index: descending number/quantity sorts are not walked
  quantity: { asc: 'lo' },
  token: { asc: 'c', desc: 'c' },
  string: { asc: 'v', desc: 'v' },
  uri: { asc: 'v', desc: 'v' },
};

export interface SortWalk {
  /** `rid, v` of index rows in sort order (LIMIT ? OFFSET ? are the last two parameters). */
  walk: SqlFragment;
  /** Page rows (as the page query) of the rids at parameter `slot` (a JSON array) that match. */
  candidates: SqlFragment & { slot: number };
}

/**
 * For a broad match sorted by one parameter, reading matches in sort order from the (p, value)
 * index and stopping after a page beats computing the key of every match and sorting (that was
 * seconds at 1M matches). In index order, a resource first appears at its minimum value
 * (ascending) or maximum (descending), which is exactly its sort key; the caller keeps a resource
 * only when its key equals the value it first appeared at, so a resource whose key lies before a
 * cursor is never taken. Undefined when the shape does not allow it (the caller then runs the
 * page query): several sort keys or types, _id/_lastUpdated, kinds without an ordered index.
 */
export function compileSortWalk(plan: SearchPlan, sortKinds: SortKinds, after?: Position): SortWalk | undefined {
  if (plan.sort.length !== 1 || plan.resourceTypes.length !== 1) return undefined;
  const key = plan.sort[0];
  const kinds = sortKinds[key.param] ?? [];
  if (kinds.length !== 1) return undefined;
  const column = key.descending ? WALK_COLUMN[kinds[0]]?.desc : WALK_COLUMN[kinds[0]]?.asc;
  if (!column || (after && after.keys[0] === null)) return undefined;

  const w = new Builder();
  const conds = [`p = (SELECT pid FROM search_param WHERE code = ${w.bind(key.param)} AND type = ${w.bind(plan.resourceTypes[0])})`, `${column} IS NOT NULL`];
  if (after) conds.push(`${column} ${key.descending ? '<=' : '>='} ${w.bind(after.keys[0])}`);
  const walk = `SELECT k >> ${RID_SHIFT} AS rid, ${column} AS v FROM ${TABLE[kinds[0]]} WHERE ${conds.join(' AND ')} ORDER BY ${column}${key.descending ? ' DESC' : ''} LIMIT ? OFFSET ?`;

  const b = new Builder(true);
  const select = ['r.rid', 'r.type', 'r.id', 'r.version', 'r.last_updated', 'r.json', `${sortExpression(key, b, kinds, plan.resourceTypes)} AS k0`];
  const slot = b.params.length;
  const where = [`r.rid IN (SELECT value FROM json_each(${b.bind(null)}))`, 'r.deleted = 0', `r.type = ${b.bind(plan.resourceTypes[0])}`];
  for (const p of plan.where) where.push(b.predicate(p, 'r', plan.resourceTypes));
  if (after) where.push(keyset(plan.sort, after, false, b));
  return { walk: { sql: walk, params: w.params }, candidates: { sql: `SELECT ${select.join(', ')} FROM resources r WHERE ${where.join(' AND ')}`, params: b.params, slot } };
}
