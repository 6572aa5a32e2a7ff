// Predicate → SQL condition over the resources + idx_* tables: the leaf conditions of every
// parameter kind, and/or/not composition, chains, _has and IN-lists. Pure: SQL text plus bound
// parameters (never client text inside SQL). compile.ts assembles whole queries from these.
// Every leaf becomes `r.rid IN (SELECT k >> 20 FROM idx_<kind> WHERE p = ? AND …)` (k >> 20 is
// the rid, see schema.ts), answered from the covering (p, value…) indexes; `_content`/`_text`
// read idx_text instead.
import type { Predicate, RangePredicate, StringPredicate, TokenPredicate, ReferencePredicate, UriPredicate } from '../../../search/plan';
import type { IndexKind } from '../../../search/index-values';
import { RID_SHIFT } from './schema';
import { nearCondition } from './near';
import { lookupTable } from '../../../lookup-table';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

/** Greatest code point: `v >= x AND v < x || MAX` is "starts with x" using the index. */
const MAX_CHAR = '\u{10FFFF}';

export const TABLE: Record<IndexKind, string> = {
  string: 'idx_string',
  token: 'idx_token',
  date: 'idx_date',
  number: 'idx_number',
  quantity: 'idx_quantity',
  reference: 'idx_reference',
  uri: 'idx_uri',
  composite: 'idx_composite',
  position: 'idx_position',
};

/** The rid of an index row of a kind table (alias-qualified when `alias` is given). */
export const rid = (alias?: string) => `${alias ? `${alias}.` : ''}k >> ${RID_SHIFT}`;

/** Text-search parameters and their idx_text column. */
export const TEXT_COLUMN: Record<string, string> = lookupTable({ _content: 'content', _text: 'narrative' });

/** Predicates that one index table answers on its own. */
export type LeafPredicate = Extract<Predicate, { kind: 'string' | 'token' | 'range' | 'reference' | 'uri' | 'composite' | 'near' }>;
export const LEAF_KINDS = new Set<Predicate['kind']>(['string', 'token', 'range', 'reference', 'uri', 'composite', 'near']);

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
      case 'type':
        return p.types.length ? `${res}.type IN (${p.types.map((t) => this.bind(t)).join(', ')})` : '0';
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
      case 'followed': {
        // The resource's own `per` targets and `from` start (its key range), then another resource
        // of sourceType sharing a target, whose `to` start lies in (from, from + within].
        const xa = this.alias('x');
        const fa = this.alias('f');
        const xb = this.alias('x');
        const s = this.alias('s');
        const tb = this.alias('d');
        const range = (alias: string, ridExpr: string) => `${alias}.k >= (${ridExpr}) << ${RID_SHIFT} AND ${alias}.k < ((${ridExpr}) + 1) << ${RID_SHIFT}`;
        const where = [
          `${xa}.p IN ${this.paramIds(p.per, types)}`,
          `${xa}.t IS NOT NULL`,
          `+${fa}.p IN ${this.paramIds(p.from, types)}`,
          `${xb}.p IN ${this.paramIds(p.per, [p.sourceType])}`,
          `${s}.type = ${this.bind(p.sourceType)}`,
          `${s}.deleted = 0`,
          `${s}.rid != ${rid(xa)}`,
          ...p.where.map((w) => this.predicate(w, s, [p.sourceType])),
          `+${tb}.p IN ${this.paramIds(p.to, [p.sourceType])}`,
          `${tb}.lo > ${fa}.lo`,
          `${tb}.lo <= ${fa}.lo + ${this.bind(p.withinMs)}`,
        ];
        return (
          `${res}.rid IN (SELECT ${rid(xa)} FROM idx_reference ${xa} ` +
          `JOIN idx_date ${fa} ON ${range(fa, rid(xa))} ` +
          `JOIN idx_reference ${xb} ON ${xb}.t = ${xa}.t AND ${xb}.i = ${xa}.i ` +
          `JOIN resources ${s} ON ${s}.rid = ${rid(xb)} ` +
          `JOIN idx_date ${tb} ON ${range(tb, `${s}.rid`)} ` +
          `WHERE ${where.join(' AND ')})`
        );
      }
      case 'latest': {
        // The candidates (sourceType satisfying `among`) per local target of `per`, ranked by
        // $lastn's order (sqlite/latest.ts): greatest `hi` of `by`, missing last, id descending;
        // then the targets whose first one also satisfies `where`. Built in text order: binds are
        // positional.
        const x = this.alias('x');
        const s = this.alias('s');
        const z = this.alias('z');
        const w = this.alias('w');
        const c = this.alias('c');
        const at = `(SELECT max(${z}.hi) FROM idx_date ${z} WHERE ${z}.k >= ${s}.rid << ${RID_SHIFT} AND ${z}.k < (${s}.rid + 1) << ${RID_SHIFT} AND +${z}.p IN ${this.paramIds(p.by, [p.sourceType])})`;
        const candidates = [
          `${x}.p IN ${this.paramIds(p.per, [p.sourceType])}`,
          `${x}.i IS NOT NULL`,
          `${s}.type = ${this.bind(p.sourceType)}`,
          `${s}.deleted = 0`,
          ...p.among.map((a) => this.predicate(a, s, [p.sourceType])),
        ];
        const ranked =
          `SELECT ${x}.t AS t, ${x}.i AS i, ${s}.rid AS rid, row_number() OVER (PARTITION BY ${x}.t, ${x}.i ORDER BY ${at} DESC NULLS LAST, ${s}.id DESC) AS n ` +
          `FROM idx_reference ${x} JOIN resources ${s} ON ${x}.k >= ${s}.rid << ${RID_SHIFT} AND ${x}.k < (${s}.rid + 1) << ${RID_SHIFT} WHERE ${candidates.join(' AND ')}`;
        const chosen = [`${w}.n = 1`, ...p.where.map((q) => this.predicate(q, c, [p.sourceType]))];
        return `(${res}.type, ${res}.id) IN (SELECT ${w}.t, ${w}.i FROM (${ranked}) ${w} JOIN resources ${c} ON ${c}.rid = ${w}.rid WHERE ${chosen.join(' AND ')})`;
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
    if (p.kind === 'string' && TEXT_COLUMN[p.param]) {
      // idx_text is keyed by rid itself. (Handing this back to predicate() recursed forever when
      // correlated: `_content`/`_text` with `_sort` overflowed the stack.)
      const leaf = this.leaf(p, types);
      return `EXISTS (SELECT 1 FROM ${leaf.table} WHERE ${leaf.rid} = ${res}.rid AND ${leaf.where})`;
    }
    if (p.kind === 'near') {
      // idx_position is an R*Tree (no NOT INDEXED on virtual tables); its one row per resource is
      // found by id, the R*Tree's own fast path.
      const leaf = this.leaf(p, types);
      return `EXISTS (SELECT 1 FROM ${leaf.table} WHERE k = ${res}.rid << ${RID_SHIFT} AND ${leaf.where})`;
    }
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
    const kind: IndexKind = p.kind === 'range' ? p.valueKind : p.kind === 'near' ? 'position' : p.kind;
    // Bind order = text order: the parameter ids come first.
    const ids = this.paramIds(p.param, types);
    return { table: TABLE[kind], rid: rid(), where: `p IN ${ids} AND ${this.leafCond(p)}` };
  }

  private leafCond(p: LeafPredicate): string {
    switch (p.kind) {
      case 'near':
        return nearCondition(p, (v) => this.bind(v));
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
