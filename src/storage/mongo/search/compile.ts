// SearchPlan → MongoDB filter, as a pure function (golden-tested in test/storage/mongo/). Only
// plan values ever reach the filter, and only in value positions: field names come from this file,
// strings become `$regex` only after escaping, so no client text can act as an operator.
//
// "Some entry of parameter P satisfies C" binds several fields of ONE array element, which on
// MongoDB is `$elemMatch`. FerretDB 1.x lacks `$elemMatch` with field conditions, so there the
// same condition is expanded over array positions (`ix.token.0.p`, `ix.token.1.p`, …) up to the
// longest array ever written for the types searched: slower, but exact.
import type { Document } from 'mongodb';
import type { IndexKind } from '../../../search/index-values';
import { EARTH_RADIUS_KM } from '../../../search/geo';
import type {
  NearPredicate,
  Predicate,
  RangePredicate,
  ReferencePredicate,
  StringPredicate,
  TokenPredicate,
  UriPredicate,
} from '../../../search/plan';

/** A `chain` resolved by a sub-query: some reference of `param` points at one of these targets. */
export interface ReferenceTargetsPredicate {
  kind: 'reference-targets';
  /** Absent: any reference parameter (`_revinclude=Type:*`). */
  param?: string;
  targets: { type: string; ids: string[] }[];
}

/** A `_has` resolved by a sub-query: the resource is one of these (`Type/id`). */
export interface KeysPredicate {
  kind: 'keys';
  keys: string[];
  /** A resolved `near`: each key's distance (km) from the point, for `_sort=near`. */
  distances?: Map<string, number>;
}

export type ResolvedPredicate =
  | Exclude<Predicate, { kind: 'chain' | 'has' | 'and' | 'or' | 'not' }>
  | { kind: 'and'; all: ResolvedPredicate[] }
  | { kind: 'or'; any: ResolvedPredicate[] }
  | { kind: 'not'; predicate: ResolvedPredicate }
  | ReferenceTargetsPredicate
  | KeysPredicate;

export type EntryMatching = { mode: 'elemMatch' } | { mode: 'positions'; arity: Partial<Record<IndexKind, number>> };

export interface CompileOptions {
  entries: EntryMatching;
  /** The server has `2dsphere` indexes and `$geoWithin` (MongoDB; not FerretDB 1.x). */
  geo?: boolean;
}

/** Matches no document on every server (an empty `$in`). */
export const NOTHING: Document = Object.freeze({ _id: { $in: [] } }) as Document;

/** The filter of a search: live resources of the types, AND of the predicates. */
export function compileSearch(types: string[], where: ResolvedPredicate[], options: CompileOptions): Document {
  const clauses: Document[] = [{ d: false }];
  if (types.length === 1) clauses.push({ t: types[0] });
  else if (types.length > 1) clauses.push({ t: { $in: [...types] } });
  for (const p of where) clauses.push(compilePredicate(p, options));
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

export function compilePredicate(p: ResolvedPredicate, o: CompileOptions): Document {
  switch (p.kind) {
    case 'and':
      return p.all.length ? { $and: p.all.map((x) => compilePredicate(x, o)) } : {};
    case 'or':
      return p.any.length ? (tokenValueList(p.any, o) ?? { $or: p.any.map((x) => compilePredicate(x, o)) }) : NOTHING;
    case 'not':
      return { $nor: [compilePredicate(p.predicate, o)] };
    case 'nothing':
      return NOTHING;
    case 'id':
      return { id: { $in: [...p.ids] } };
    case 'type':
      return { t: { $in: [...p.types] } };
    case 'keys':
      return { _id: { $in: [...p.keys] } };
    case 'missing':
      // `$nor` rather than `$ne`: "no entry has p" on arrays, the same on MongoDB and FerretDB.
      return p.missing ? { $nor: [{ [`ix.${p.valueKind}.p`]: p.param }] } : { [`ix.${p.valueKind}.p`]: p.param };
    case 'string':
      return entry('string', withParam(p.param, stringCondition(p)), o);
    case 'token':
      return entry('token', withParam(p.param, tokenCondition(p)), o);
    case 'range':
      return entry(p.valueKind, withParam(p.param, rangeCondition(p)), o);
    case 'reference':
      return entry('reference', withParam(p.param, referenceCondition(p)), o);
    case 'uri':
      return entry('uri', withParam(p.param, uriCondition(p)), o);
    case 'near': {
      // The box (the ix_position index); the exact distance is checked by the caller (run.ts).
      const box = entry('position', withParam(p.param, nearBoxCondition(p)), o);
      if (!o.geo) return box;
      // Where the server has 2dsphere, the spherical cap narrows the candidates on the index too.
      return { $and: [box, { 'ix.position.g': { $geoWithin: { $centerSphere: [[p.lon, p.lat], p.distanceKm / EARTH_RADIUS_KM] } } }] };
    }
    case 'composite': {
      const parts = p.components.map((c) => prefixFields(componentCondition(c), `${c.param}.`));
      return entry('composite', withParam(p.param, and(...parts)), o);
    }
    case 'reference-targets': {
      const alternatives = p.targets
        .filter((t) => t.ids.length)
        .map((t) => entry('reference', and(p.param !== undefined ? { p: p.param } : {}, { t: t.type, i: { $in: [...t.ids] } }), o));
      return alternatives.length === 0 ? NOTHING : alternatives.length === 1 ? alternatives[0] : { $or: alternatives };
    }
    default:
      throw new Error(`predicate '${(p as { kind: string }).kind}' must be resolved before compiling`);
  }
}

// ---- one entry of a kind -----------------------------------------------------------------------

function entry(kind: IndexKind, condition: Document, o: CompileOptions): Document {
  if (o.entries.mode === 'elemMatch') return { [`ix.${kind}`]: { $elemMatch: condition } };
  const n = o.entries.arity[kind] ?? 0;
  if (n === 0) return NOTHING;
  const at = Array.from({ length: n }, (_, i) => prefixFields(condition, `ix.${kind}.${i}.`));
  return at.length === 1 ? at[0] : { $or: at };
}

const withParam = (param: string, condition: Document): Document => and({ p: param }, condition);

/**
 * `code1,code2,…` of one token parameter and one system (e.g. the record linker's many blocking
 * keys) as ONE entry condition with `$in`, like the SQLite compiler's value list: one `$elemMatch`
 * an index answers on MongoDB, and on FerretDB one expansion over array positions instead of one
 * per code (a 700-key search went from 55 s to under a second there).
 */
function tokenValueList(any: ResolvedPredicate[], o: CompileOptions): Document | undefined {
  if (any.length < 2) return undefined;
  const first = any[0];
  if (first.kind !== 'token') return undefined;
  const plain = (t: ResolvedPredicate): t is TokenPredicate =>
    t.kind === 'token' && t.param === first.param && typeof t.system === 'string' && t.system === first.system && t.code !== undefined &&
    t.text === undefined && t.typeSystem === undefined && t.typeCode === undefined;
  if (!any.every(plain)) return undefined;
  const codes = [...new Set((any as TokenPredicate[]).map((t) => t.code!))];
  return entry('token', withParam(first.param, { s: first.system, c: { $in: codes } }), o);
}

/** Conjunction of element conditions: merged into one document while field names do not collide. */
function and(...conditions: Document[]): Document {
  const merged: Document = {};
  const rest: Document[] = [];
  for (const c of conditions) {
    for (const [k, v] of Object.entries(c)) {
      if (k in merged) rest.push({ [k]: v });
      else merged[k] = v;
    }
  }
  return rest.length ? { $and: [merged, ...rest] } : merged;
}

/** Rewrites field names (not operators) below a path, through `$and`/`$or`/`$nor`. */
function prefixFields(condition: Document, prefix: string): Document {
  const out: Document = {};
  for (const [k, v] of Object.entries(condition)) {
    if (k === '$and' || k === '$or' || k === '$nor') out[k] = (v as Document[]).map((c) => prefixFields(c, prefix));
    else out[prefix + k] = v;
  }
  return out;
}

// ---- per kind ----------------------------------------------------------------------------------

/** Escapes every regex metacharacter, so a search value is matched literally. */
export function literalRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function stringCondition(p: Omit<StringPredicate, 'kind' | 'param'>): Document {
  if (p.match === 'exact') return { e: p.value };
  return { v: { $regex: (p.match === 'prefix' ? '^' : '') + literalRegex(p.value) } };
}

function tokenCondition(p: Omit<TokenPredicate, 'kind' | 'param'>): Document {
  const c: Document = {};
  if (p.text !== undefined) c.t = { $regex: '^' + literalRegex(p.text) };
  else {
    if (p.system === null) c.s = { $exists: false };
    else if (p.system !== undefined) c.s = p.system;
    if (p.code !== undefined) c.c = p.code;
  }
  if (p.typeSystem !== undefined) c.ts = p.typeSystem;
  if (p.typeCode !== undefined) c.tc = p.typeCode;
  return c;
}

/** The prefix table of RangePredicate, with stored `[lo, hi)` and searched `[low, high)`. */
function rangeCondition(p: Omit<RangePredicate, 'kind' | 'param' | 'valueKind'>): Document {
  const eq = { lo: { $gte: p.low }, hi: { $lte: p.high } };
  const gt = { hi: { $gt: p.high } };
  const lt = { lo: { $lt: p.low } };
  const byPrefix: Record<RangePredicate['prefix'], Document> = {
    eq,
    ne: { $or: [lt, gt] },
    gt,
    lt,
    ge: { $or: [gt, eq] },
    le: { $or: [lt, eq] },
    sa: { lo: { $gte: p.high } },
    eb: { hi: { $lte: p.low } },
    ap: { lo: { $lt: p.high }, hi: { $gt: p.low } },
  };
  const unit: Document = {};
  if (p.system !== undefined) unit.s = p.system;
  if (p.code !== undefined) unit.c = p.code;
  const parts = [byPrefix[p.prefix], unit];
  if (p.unit !== undefined) parts.push({ $or: [{ c: p.unit }, { u: p.unit }] });
  return and(...parts);
}

function referenceCondition(p: Omit<ReferencePredicate, 'kind' | 'param'>): Document {
  const c: Document = {};
  if (p.type !== undefined) c.t = p.type;
  if (p.id !== undefined) c.i = p.id;
  if (p.url !== undefined) c.u = p.url;
  if (p.version !== undefined) c.ver = p.version;
  if (p.identifierSystem === null) c.is = { $exists: false };
  else if (p.identifierSystem !== undefined) c.is = p.identifierSystem;
  if (p.identifierValue !== undefined) c.iv = p.identifierValue;
  return c;
}

function nearBoxCondition(p: NearPredicate): Document {
  const lat = { lat: { $gte: p.box.minLat, $lte: p.box.maxLat } };
  const lon = p.box.lon.map(([lo, hi]) => ({ lon: { $gte: lo, $lte: hi } }));
  return lon.length === 1 ? and(lat, lon[0]) : and(lat, { $or: lon });
}

function uriCondition(p: Omit<UriPredicate, 'kind' | 'param'>): Document {
  if (p.match === 'exact') return { v: p.value };
  if (p.match === 'below') return { v: { $regex: '^' + literalRegex(p.value) } };
  // above: the stored URI is a prefix of the searched one.
  const prefixes: string[] = [];
  for (let i = 1; i <= p.value.length; i++) prefixes.push(p.value.slice(0, i));
  return { v: { $in: prefixes } };
}

function componentCondition(c: StringPredicate | TokenPredicate | RangePredicate | ReferencePredicate | UriPredicate): Document {
  switch (c.kind) {
    case 'string':
      return stringCondition(c);
    case 'token':
      return tokenCondition(c);
    case 'range':
      return rangeCondition(c);
    case 'reference':
      return referenceCondition(c);
    case 'uri':
      return uriCondition(c);
  }
}
