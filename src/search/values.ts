// Turns typed FHIR values found by a SearchParameter expression into normalised index records of
// the parameter's kind (without the parameter code, which the indexer adds). One function per
// search parameter type; the FHIR datatype of each value decides which fields it contributes.
import type { TypedValue } from './expression';
import type { ComponentValue } from './index-values';
import { NUMBER_MAX, NUMBER_MIN } from './index-values';
import { dateRange, foldString, periodRange } from './normalise';
import { QUANTITY_SUBTYPES } from './element-model';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

type Stripped<K extends ComponentValue['k']> = Omit<Extract<ComponentValue, { k: K }>, 'k'>;

/** Which parts of a name or address are searched as text (R4 search.html, string type). */
const NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'];
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'];

export function stringValues(tv: TypedValue): Stripped<'string'>[] {
  const out: Stripped<'string'>[] = [];
  const push = (v: unknown) => {
    const s = str(v);
    if (s) out.push({ v: foldString(s), e: s.trim() });
  };
  const o = obj(tv.value);
  if (!o) push(tv.value);
  else if (tv.type === 'HumanName') for (const part of NAME_PARTS) arr(o[part]).forEach(push);
  else if (tv.type === 'Address') for (const part of ADDRESS_PARTS) arr(o[part]).forEach(push);
  else if (tv.type === 'CodeableConcept' || tv.type === 'Coding') {
    push(o.text);
    push(o.display);
    for (const c of arr(o.coding)) push(obj(c)?.display);
  } else if (typeof o.value === 'string') push(o.value);
  return out;
}

function coding(c: Obj): Stripped<'token'> | undefined {
  const s = str(c.system);
  const code = str(c.code);
  const display = str(c.display);
  if (!s && !code && !display) return undefined;
  // Plain assignments, not spreads: this runs for every coding on the write path.
  const out: Stripped<'token'> = {};
  if (s) out.s = s;
  if (code) out.c = code;
  if (display) out.t = foldString(display);
  return out;
}

export function tokenValues(tv: TypedValue): Stripped<'token'>[] {
  const v = tv.value;
  if (typeof v === 'boolean') return [{ c: String(v) }];
  if (typeof v === 'string' || typeof v === 'number') {
    const c = String(v);
    return c.trim() ? [{ c }] : [];
  }
  const o = obj(v);
  if (!o) return [];
  switch (tv.type) {
    case 'Coding': {
      const t = coding(o);
      return t ? [t] : [];
    }
    case 'CodeableConcept': {
      const out: Stripped<'token'>[] = [];
      for (const c of arr(o.coding)) {
        const t = obj(c) && coding(obj(c)!);
        if (t) out.push(t);
      }
      const text = str(o.text);
      if (text) out.push({ t: foldString(text) });
      return out;
    }
    case 'Identifier': {
      const s = str(o.system);
      const c = str(o.value);
      if (!s && !c) return [];
      const base: Stripped<'token'> = { ...(s ? { s } : {}), ...(c ? { c } : {}) };
      const type = obj(o.type);
      const typeText = str(type?.text);
      if (typeText) base.t = foldString(typeText);
      const typeCodings = arr(type?.coding).map(obj).filter((x): x is Obj => !!x);
      if (typeCodings.length === 0) return [base];
      return typeCodings.map((tc) => ({ ...base, ...(str(tc.system) ? { ts: str(tc.system) } : {}), ...(str(tc.code) ? { tc: str(tc.code) } : {}) }));
    }
    case 'ContactPoint': {
      // ContactPoint.system is a kind (phone, email), not a code system: only the value is searched.
      const c = str(o.value);
      return c ? [{ c }] : [];
    }
    case 'Quantity':
    case 'Reference':
      return [];
    default: {
      const t = coding(o);
      return t ? [t] : [];
    }
  }
}

export function dateValues(tv: TypedValue): Stripped<'date'>[] {
  const v = tv.value;
  if (typeof v === 'string') {
    const r = dateRange(v);
    return r ? [{ lo: r[0], hi: r[1] }] : [];
  }
  const o = obj(v);
  if (!o) return [];
  if (tv.type === 'Period') {
    const r = periodRange(o.start, o.end);
    return r ? [{ lo: r[0], hi: r[1] }] : [];
  }
  if (tv.type === 'Timing') {
    const out: Stripped<'date'>[] = [];
    for (const e of arr(o.event)) {
      const r = typeof e === 'string' ? dateRange(e) : undefined;
      if (r) out.push({ lo: r[0], hi: r[1] });
    }
    const bounds = obj(obj(o.repeat)?.boundsPeriod);
    const r = bounds && periodRange(bounds.start, bounds.end);
    if (r) out.push({ lo: r[0], hi: r[1] });
    return out;
  }
  return [];
}

/** Stored numbers are points: JSON parsing has already discarded how many digits were written,
 * so their significant figures are unknown (search values keep theirs, see normalise.numberRange). */
export function numberValues(tv: TypedValue): Stripped<'number'>[] {
  const v = typeof tv.value === 'number' ? tv.value : typeof tv.value === 'string' ? Number(tv.value) : NaN;
  return Number.isFinite(v) ? [{ lo: v, hi: v }] : [];
}

function quantity(o: Obj): Stripped<'quantity'> | undefined {
  if (typeof o.value !== 'number') return undefined;
  let lo = o.value;
  let hi = o.value;
  // A comparator turns the point into a half line: `<5` is everything below 5.
  if (o.comparator === '<' || o.comparator === '<=') lo = NUMBER_MIN;
  if (o.comparator === '>' || o.comparator === '>=') hi = NUMBER_MAX;
  const s = str(o.system);
  const c = str(o.code) ?? str(o.currency);
  const u = str(o.unit);
  return { lo, hi, ...(s ? { s } : {}), ...(c ? { c } : {}), ...(u ? { u } : {}), ...(o.currency && !s ? { s: 'urn:iso:std:iso:4217' } : {}) };
}

export function quantityValues(tv: TypedValue): Stripped<'quantity'>[] {
  const o = obj(tv.value);
  if (!o) return typeof tv.value === 'number' ? [{ lo: tv.value, hi: tv.value }] : [];
  if (QUANTITY_SUBTYPES.has(tv.type) || tv.type === 'Money') {
    const q = quantity(o);
    return q ? [q] : [];
  }
  if (tv.type === 'Range') {
    const low = obj(o.low);
    const high = obj(o.high);
    const ql = low && quantity(low);
    const qh = high && quantity(high);
    if (!ql && !qh) return [];
    const unit = ql ?? qh!;
    return [{ ...unit, lo: ql ? ql.lo : NUMBER_MIN, hi: qh ? qh.hi : NUMBER_MAX }];
  }
  return [];
}

export interface ReferenceContext {
  /** This server's base URL: absolute references to it are stored as local type/id. */
  baseUrl?: string;
  /** Contained resources of the resource being indexed, for `#id` references. */
  contained?: Map<string, string>;
}

const LOCAL_REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

export function parseReference(reference: string, ctx: ReferenceContext): Stripped<'reference'> {
  if (ctx.baseUrl && reference.startsWith(ctx.baseUrl.replace(/\/$/, '') + '/')) {
    reference = reference.slice(ctx.baseUrl.replace(/\/$/, '').length + 1);
  }
  const local = LOCAL_REF.exec(reference);
  if (local) return { t: local[1], i: local[2] };
  if (reference.startsWith('#')) {
    const type = ctx.contained?.get(reference.slice(1));
    return { ...(type ? { t: type } : {}), u: reference };
  }
  const bar = reference.indexOf('|');
  if (bar > 0) return { u: reference.slice(0, bar), ver: reference.slice(bar + 1) };
  const absolute = /^https?:\/\/.+\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
  if (absolute) return { u: reference.replace(/\/_history\/[^/]+$/, '') };
  return { u: reference };
}

export function referenceValues(tv: TypedValue, ctx: ReferenceContext): Stripped<'reference'>[] {
  if (typeof tv.value === 'string') return [parseReference(tv.value, ctx)];
  const o = obj(tv.value);
  if (!o) return [];
  if (typeof o.resourceType === 'string') {
    return typeof o.id === 'string' ? [{ t: o.resourceType, i: o.id }] : [];
  }
  const out: Stripped<'reference'> = typeof o.reference === 'string' ? parseReference(o.reference, ctx) : {};
  const ident = obj(o.identifier);
  if (ident) {
    if (str(ident.system)) out.is = str(ident.system);
    if (str(ident.value)) out.iv = str(ident.value);
  }
  if (!out.t && typeof o.type === 'string' && out.i) out.t = o.type;
  return Object.keys(out).length ? [out] : [];
}

export function uriValues(tv: TypedValue): Stripped<'uri'>[] {
  const s = str(tv.value);
  return s ? [{ v: s }] : [];
}
