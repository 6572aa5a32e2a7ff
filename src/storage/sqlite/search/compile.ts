// SearchPlan → SQL over resources + idx_* tables. Pure: returns SQL text and bound parameters
// (never client text inside SQL), so golden tests pin the output. Every leaf predicate becomes
// `r.rid IN (SELECT k >> 20 FROM idx_<kind> WHERE p = ? AND …)` (k >> 20 is the rid, see
// schema.ts), which SQLite answers from the covering (p, value…) indexes; and/or/not compose at
// the resource level. `_content`/`_text` read idx_text instead.
import type { Predicate, RangePredicate, SearchPlan, SortKey, StringPredicate, TokenPredicate, ReferencePredicate, UriPredicate } from '../../../search/plan';
import type { IndexKind } from '../../../search/index-values';
import { RID_SHIFT } from './schema';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** Greatest code point: `v >= x AND v < x || MAX` is "starts with x" using the index. */
const MAX_CHAR = '\u{10FFFF}';

const TABLE: Record<IndexKind, string> = {
  string: 'idx_string',
  token: 'idx_token',
  date: 'idx_date',
  number: 'idx_number',
  quantity: 'idx_quantity',
  reference: 'idx_reference',
  uri: 'idx_uri',
  composite: 'idx_composite',
};

/** The rid of an index row of a kind table (alias-qualified when `alias` is given). */
const rid = (alias?: string) => `${alias ? `${alias}.` : ''}k >> ${RID_SHIFT}`;

/** Text-search parameters and their idx_text column. */
const TEXT_COLUMN: Record<string, string> = { _content: 'content', _text: 'narrative' };

/** Predicates that one index table answers on its own. */
type LeafPredicate = Extract<Predicate, { kind: 'string' | 'token' | 'range' | 'reference' | 'uri' | 'composite' }>;
const LEAF_KINDS = new Set<Predicate['kind']>(['string', 'token', 'range', 'reference', 'uri', 'composite']);
/** Value lookups that typically select few resources: they drive a query (see compileSearch). */
const DRIVING_KINDS = new Set<Predicate['kind']>(['id', 'token', 'reference', 'uri']);
/** Prefixes of a range open on one side. */
const OPEN_PREFIXES = new Set<string>(['gt', 'ge', 'lt', 'le', 'sa', 'eb']);

/** Column accessor: plain columns for kind tables, json_extract for composite components. */
type Col = (field: string) => string;

export class Builder {
  readonly params: unknown[] = [];

  /**
   * Correlated leaves: `EXISTS` over the resource's own key range instead of `rid IN (…)`. For a
   * query that checks a few given rids, SQLite would otherwise build the whole IN set each time.
   */
  constructor(private readonly correlated = false) {}
  private aliases = 0;

  bind(value: unknown): string {
    this.params.push(value);
    return '?';
  }

  alias(prefix: string): string {
    return `${prefix}${++this.aliases}`;
  }

  /**
   * Boolean SQL expression: does predicate `p` hold for the resource row `res`, whose type is one
   * of `types` (empty: any type)? The types select the parameter ids (search_param) to look up.
   */
  predicate(p: Predicate, res: string, types: readonly string[]): string {
    switch (p.kind) {
      case 'and':
        return p.all.length ? `(${p.all.map((x) => this.predicate(x, res, types)).join(' AND ')})` : '1';
      case 'or':
        if (!p.any.length) return '0';
        return this.valueList(p.any, res, types) ?? `(${p.any.map((x) => this.predicate(x, res, types)).join(' OR ')})`;
      case 'not':
        return `NOT ${this.predicate(p.predicate, res, types)}`;
      case 'nothing':
        return '0';
      case 'id':
        return `${res}.id IN (${p.ids.map((id) => this.bind(id)).join(', ')})`;
      case 'missing': {
        const not = p.missing ? 'NOT IN' : 'IN';
        const text = TEXT_COLUMN[p.param];
        if (text) return `${res}.rid ${not} (SELECT rid FROM idx_text WHERE ${text} IS NOT NULL)`;
        return `${res}.rid ${not} (SELECT ${rid()} FROM ${TABLE[p.valueKind]} WHERE p IN ${this.paramIds(p.param, types)})`;
      }
      case 'chain': {
        const x = this.alias('x');
        const t = this.alias('t');
        const where = [
          `${x}.p IN ${this.paramIds(p.param, types)}`,
          `${x}.t IN (${p.targetTypes.map((tt) => this.bind(tt)).join(', ')})`,
          `${t}.deleted = 0`,
          ...p.where.map((w) => this.predicate(w, t, p.targetTypes)),
        ];
        return `${res}.rid IN (SELECT ${rid(x)} FROM idx_reference ${x} JOIN resources ${t} ON ${t}.type = ${x}.t AND ${t}.id = ${x}.i WHERE ${where.join(' AND ')})`;
      }
      case 'has': {
        const x = this.alias('x');
        const s = this.alias('s');
        const where = [
          `${x}.p IN ${this.paramIds(p.param, [p.sourceType])}`,
          `${s}.type = ${this.bind(p.sourceType)}`,
          `${s}.deleted = 0`,
          ...p.where.map((w) => this.predicate(w, s, [p.sourceType])),
        ];
        // The join is a key range (not `= k >> 20`) so that SQLite can seek a referrer's rows.
        return `(${res}.type, ${res}.id) IN (SELECT ${x}.t, ${x}.i FROM idx_reference ${x} JOIN resources ${s} ON ${x}.k >= ${s}.rid << ${RID_SHIFT} AND ${x}.k < (${s}.rid + 1) << ${RID_SHIFT} WHERE ${where.join(' AND ')})`;
      }
      default: {
        if (this.correlated) return this.rowCheck(p, res, types);
        const leaf = this.leaf(p, types);
        return `${res}.rid IN (SELECT ${leaf.rid} FROM ${leaf.table} WHERE ${leaf.where})`;
      }
    }
  }

  /**
   * A leaf checked on the resource row `res` alone: `EXISTS` over the resource's own key range of
   * the kind table, one B-tree seek per row checked, instead of building the set of every
   * matching rid. For predicates that should not drive the query (see compileSearch).
   */
  rowCheck(p: LeafPredicate, res: string, types: readonly string[]): string {
    if (p.kind === 'string' && TEXT_COLUMN[p.param]) return this.predicate(p, res, types);
    const range = `k >= ${res}.rid << ${RID_SHIFT} AND k < (${res}.rid + 1) << ${RID_SHIFT}`;
    const leaf = this.leaf(p, types);
    // NOT INDEXED keeps SQLite on the rowid range (see sortExpression): measured 56 s vs
    // 34 ms for one count when it chose the (p, c) index instead.
    return `EXISTS (SELECT 1 FROM ${leaf.table} NOT INDEXED WHERE ${range} AND ${leaf.where})`;
  }

  /**
   * An OR of many plain values of one parameter — references by type/id, tokens by system|code —
   * as one IN-list lookup. Clients send hundreds (`patient=` with 1,000 ids), and an OR chain that
   * long exceeds SQLite's expression depth (1,000) besides planning poorly. Undefined when the
   * alternatives are not all of that plain shape.
   */
  private valueList(any: Predicate[], res: string, types: readonly string[]): string | undefined {
    if (any.length < 2) return undefined;
    const first = any[0];
    if (first.kind === 'reference') {
      const plain = (r: Predicate): r is ReferencePredicate =>
        r.kind === 'reference' && r.param === first.param && r.id !== undefined && r.type !== undefined &&
        r.url === undefined && r.version === undefined && r.identifierSystem === undefined && r.identifierValue === undefined;
      if (!any.every(plain)) return undefined;
      const ids = this.paramIds(first.param, types);
      const pairs = (any as ReferencePredicate[]).map((r) => `(${this.bind(r.id)}, ${this.bind(r.type)})`).join(', ');
      return `${res}.rid IN (SELECT ${rid()} FROM idx_reference WHERE p IN ${ids} AND (i, t) IN (VALUES ${pairs}))`;
    }
    if (first.kind === 'token') {
      const plain = (t: Predicate): t is TokenPredicate =>
        t.kind === 'token' && t.param === first.param && t.code !== undefined && typeof t.system === 'string' &&
        t.text === undefined && t.typeSystem === undefined && t.typeCode === undefined;
      if (!any.every(plain)) return undefined;
      const ids = this.paramIds(first.param, types);
      const pairs = (any as TokenPredicate[]).map((t) => `(${this.bind(t.code)}, ${this.bind(t.system)})`).join(', ');
      return `${res}.rid IN (SELECT ${rid()} FROM idx_token WHERE p IN ${ids} AND (c, s) IN (VALUES ${pairs}))`;
    }
    return undefined;
  }

  /** The ids of parameter `code` on `types` (all types when empty), as an SQL row set. */
  paramIds(code: string, types: readonly string[]): string {
    const c = this.bind(code);
    if (!types.length) return `(SELECT pid FROM search_param WHERE code = ${c})`;
    return `(SELECT pid FROM search_param WHERE code = ${c} AND type IN (${types.map((t) => this.bind(t)).join(', ')}))`;
  }

  /**
   * A predicate answered by one index table: the table, the rid expression and the row condition.
   * Rows of deleted resources do not exist and rows carry their type through `p`, so a count of
   * distinct rids over this alone is the number of matching resources.
   */
  leaf(p: LeafPredicate, types: readonly string[]): { table: string; rid: string; where: string } {
    if (p.kind === 'string' && TEXT_COLUMN[p.param]) {
      // idx_text rows carry no type: the caller joins resources (see compileSearch's count).
      const column = TEXT_COLUMN[p.param];
      return { table: 'idx_text', rid: 'rid', where: this.stringCond(p, () => column) };
    }
    const kind: IndexKind = p.kind === 'range' ? p.valueKind : p.kind;
    // Bind order = text order: the parameter ids come first.
    const ids = this.paramIds(p.param, types);
    return { table: TABLE[kind], rid: rid(), where: `p IN ${ids} AND ${this.leafCond(p)}` };
  }

  private leafCond(p: LeafPredicate): string {
    switch (p.kind) {
      case 'string':
        return this.stringCond(p, (f) => f);
      case 'token':
        return this.tokenCond(p, (f) => f);
      case 'range':
        return this.rangeCond(p, (f) => f);
      case 'reference':
        return this.referenceCond(p, (f) => (f === 'is' ? '"is"' : f));
      case 'uri':
        return this.uriCond(p, (f) => f);
      case 'composite':
        return p.components.map((c) => {
          const col: Col = (f) => `json_extract(${c.param}, '$.${f}')`;
          switch (c.kind) {
            case 'string':
              return this.stringCond(c, col);
            case 'token':
              return this.tokenCond(c, col);
            case 'range':
              return this.rangeCond(c, col);
            case 'reference':
              return this.referenceCond(c, col);
            case 'uri':
              return this.uriCond(c, col);
          }
        }).join(' AND ');
    }
  }

  private stringCond(p: StringPredicate, col: Col): string {
    if (p.match === 'exact') return `${col('e')} = ${this.bind(p.value)}`;
    if (p.match === 'contains') return `instr(${col('v')}, ${this.bind(p.value)}) > 0`;
    return `${col('v')} >= ${this.bind(p.value)} AND ${col('v')} < ${this.bind(p.value + MAX_CHAR)}`;
  }

  private tokenCond(p: TokenPredicate, col: Col): string {
    const conds: string[] = [];
    if (p.text !== undefined) conds.push(`${col('t')} >= ${this.bind(p.text)} AND ${col('t')} < ${this.bind(p.text + MAX_CHAR)}`);
    if (p.code !== undefined) conds.push(`${col('c')} = ${this.bind(p.code)}`);
    if (p.system === null) conds.push(`${col('s')} IS NULL`);
    else if (p.system !== undefined) conds.push(`${col('s')} = ${this.bind(p.system)}`);
    if (p.typeSystem !== undefined) conds.push(`${col('ts')} = ${this.bind(p.typeSystem)}`);
    if (p.typeCode !== undefined) conds.push(`${col('tc')} = ${this.bind(p.typeCode)}`);
    return conds.length ? conds.join(' AND ') : '1';
  }

  /** R4 range semantics; see RangePredicate for the table this implements. */
  private rangeCond(p: RangePredicate, col: Col): string {
    const lo = col('lo');
    const hi = col('hi');
    const eq = () => `(${lo} >= ${this.bind(p.low)} AND ${hi} <= ${this.bind(p.high)} AND ${lo} < ${this.bind(p.high)})`;
    let cond: string;
    switch (p.prefix) {
      case 'eq':
        cond = eq();
        break;
      case 'ne':
        cond = `NOT ${eq()}`;
        break;
      case 'gt':
        cond = `${hi} > ${this.bind(p.high)}`;
        break;
      case 'lt':
        cond = `${lo} < ${this.bind(p.low)}`;
        break;
      case 'ge':
        cond = `(${hi} > ${this.bind(p.high)} OR ${eq()})`;
        break;
      case 'le':
        cond = `(${lo} < ${this.bind(p.low)} OR ${eq()})`;
        break;
      case 'sa':
        cond = `${lo} >= ${this.bind(p.high)}`;
        break;
      case 'eb':
        cond = `${hi} <= ${this.bind(p.low)}`;
        break;
      case 'ap':
        // Overlap; a stored point (lo = hi) at the lower bound counts as inside.
        cond = `${lo} < ${this.bind(p.high)} AND (${hi} > ${this.bind(p.low)} OR ${lo} = ${this.bind(p.low)})`;
        break;
    }
    if (p.system !== undefined) cond += ` AND ${col('s')} = ${this.bind(p.system)}`;
    if (p.code !== undefined) cond += ` AND ${col('c')} = ${this.bind(p.code)}`;
    if (p.unit !== undefined) cond += ` AND (${col('c')} = ${this.bind(p.unit)} OR ${col('u')} = ${this.bind(p.unit)})`;
    return cond;
  }

  private referenceCond(p: ReferencePredicate, col: Col): string {
    const conds: string[] = [];
    if (p.id !== undefined) conds.push(`${col('i')} = ${this.bind(p.id)}`);
    if (p.type !== undefined) conds.push(`${col('t')} = ${this.bind(p.type)}`);
    if (p.url !== undefined) conds.push(`${col('u')} = ${this.bind(p.url)}`);
    if (p.version !== undefined) conds.push(`${col('ver')} = ${this.bind(p.version)}`);
    if (p.identifierSystem === null) conds.push(`${col('is')} IS NULL`);
    else if (p.identifierSystem !== undefined) conds.push(`${col('is')} = ${this.bind(p.identifierSystem)}`);
    if (p.identifierValue !== undefined) conds.push(`${col('iv')} = ${this.bind(p.identifierValue)}`);
    return conds.length ? conds.join(' AND ') : '1';
  }

  private uriCond(p: UriPredicate, col: Col): string {
    const v = col('v');
    if (p.match === 'exact') return `${v} = ${this.bind(p.value)}`;
    if (p.match === 'below') return `${v} >= ${this.bind(p.value)} AND ${v} < ${this.bind(p.value + MAX_CHAR)}`;
    return `substr(${this.bind(p.value)}, 1, length(${v})) = ${v}`;
  }
}

/** Kinds (idx_<kind> tables) of each sort parameter on the searched types, from search_param. */
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
  const exprs = kinds.flatMap((kind) => {
    const value = SORT_VALUE[kind];
    if (!value) return [];
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
export function compileSearch(plan: SearchPlan, page: { after?: Position; before?: Position } = {}, sortKinds: SortKinds = {}): CompiledSearch {
  // One-sided ranges (`date=ge2024`, `value-quantity=lt5`) usually match a large share of a type:
  // a fifth of all Observations for that date. Next to a value lookup (a code, a reference, an
  // id) they are checked per candidate row rather than built as a rid set of their own (100k
  // store: 5 % code + date=ge 26 ms → 0.7 ms). A closed range (`date=2024-03-05`) is usually
  // narrow and keeps its set: checking it per row of a broad token like status=final was slower.
  const driven = plan.where.some((p) => DRIVING_KINDS.has(p.kind));
  const checkPerRow = (p: Predicate): p is RangePredicate => driven && p.kind === 'range' && OPEN_PREFIXES.has(p.prefix);
  const filter = (b: Builder): string[] => {
    const conds = ['r.deleted = 0'];
    if (plan.resourceTypes.length) conds.push(`r.type IN (${plan.resourceTypes.map((t) => b.bind(t)).join(', ')})`);
    for (const p of plan.where) conds.push(checkPerRow(p) ? b.rowCheck(p, 'r', plan.resourceTypes) : b.predicate(p, 'r', plan.resourceTypes));
    return conds;
  };

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
