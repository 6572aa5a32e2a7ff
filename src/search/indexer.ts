// resource → IndexValues: evaluates every SearchParameter of the resource's type and normalises
// the values by kind. Called on the write path for each version made current, so it must stay
// cheap (see bench/indexing.ts): parameters compile to direct accessors once per type.
import type { Resource } from '@medplum/fhirtypes';
import type { TypedValue } from './expression';
import {
  emptyIndexValues,
  type ComponentValue,
  type CompositeEntry,
  type IndexValues,
  type SortEntry,
} from './index-values';
import { foldString, narrativeText } from './normalise';
import { geoPoint } from './geo';
import { tokenSortRanks } from './sort-ranks';
import type { SearchParam, SearchParamType, SearchRegistry } from './registry';
import {
  dateValues,
  numberValues,
  quantityValues,
  referenceValues,
  stringValues,
  tokenValues,
  uriValues,
  type ReferenceContext,
} from './values';

export interface IndexerOptions {
  /** This server's base URL: absolute references to it are indexed as local references. */
  baseUrl?: string;
}

/** Composite parameters multiply component values; cap the product per element. */
const MAX_COMPOSITE_COMBINATIONS = 64;
/** `_content` keeps this many characters of folded text per resource. */
const MAX_CONTENT_CHARS = 8000;

/** Keys whose strings are not human text (ids, urls, codes' systems, base64, narrative markup). */
const SKIPPED_CONTENT_KEYS = new Set(['resourceType', 'id', 'meta', 'div', 'data', 'reference', 'url', 'system', 'fullUrl']);

export type Indexer = (resource: Resource) => IndexValues;

export function createIndexer(registry: SearchRegistry, options: IndexerOptions = {}): Indexer {
  return (resource) => indexResource(registry, resource, options);
}

function componentValues(type: SearchParamType, tv: TypedValue, ctx: ReferenceContext): ComponentValue[] {
  switch (type) {
    case 'string':
      return stringValues(tv).map((v) => ({ k: 'string', ...v }));
    case 'token':
      return tokenValues(tv).map((v) => ({ k: 'token', ...v }));
    case 'date':
      return dateValues(tv).map((v) => ({ k: 'date', ...v }));
    case 'number':
      return numberValues(tv).map((v) => ({ k: 'number', ...v }));
    case 'quantity':
      return quantityValues(tv).map((v) => ({ k: 'quantity', ...v }));
    case 'reference':
      return referenceValues(tv, ctx).map((v) => ({ k: 'reference', ...v }));
    case 'uri':
      return uriValues(tv).map((v) => ({ k: 'uri', ...v }));
    default:
      return [];
  }
}

function addComposite(out: IndexValues, param: SearchParam, focus: TypedValue, ctx: ReferenceContext): void {
  const perComponent = param.components!.map((c) => c.accessor([focus]).flatMap((tv) => componentValues(c.type, tv, ctx)));
  if (perComponent.some((values) => values.length === 0)) return;
  let combos: ComponentValue[][] = [[]];
  for (const values of perComponent) {
    combos = combos.flatMap((prefix) => values.map((v) => [...prefix, v])).slice(0, MAX_COMPOSITE_COMBINATIONS);
  }
  for (const c of combos) {
    const entry: CompositeEntry = { p: param.code, c0: c[0], c1: c[1] };
    if (c[2]) entry.c2 = c[2];
    out.composite.push(entry);
  }
}

function sortEntry(p: string, keys: Array<number | string>, maxKeys?: Array<number | string>): SortEntry | undefined {
  if (keys.length === 0) return undefined;
  let min = keys[0];
  let max = (maxKeys ?? keys)[0];
  for (const k of keys) if (k < min) min = k;
  for (const k of maxKeys ?? keys) if (k > max) max = k;
  return { p, min, max };
}

export function indexResource(registry: SearchRegistry, resource: Resource, options: IndexerOptions = {}): IndexValues {
  const out = emptyIndexValues();
  const type = resource.resourceType;
  const contained = new Map<string, string>();
  for (const c of (resource as { contained?: Resource[] }).contained ?? []) if (c?.id) contained.set(c.id, c.resourceType);
  const ctx: ReferenceContext = { baseUrl: options.baseUrl, contained };
  const root: TypedValue[] = [{ type, value: resource, context: type }];

  for (const param of registry.paramsFor(type).values()) {
    if (!param.accessor) continue;
    const p = param.code;
    const found = param.accessor(root);
    if (found.length === 0) continue;
    switch (param.type) {
      case 'string': {
        const start = out.string.length;
        for (const tv of found) for (const v of stringValues(tv)) out.string.push({ p, ...v });
        const s = sortEntry(p, out.string.slice(start).map((e) => e.v));
        if (s) out.sort.push(s);
        break;
      }
      case 'token': {
        const start = out.token.length;
        for (const tv of found) for (const v of tokenValues(tv)) out.token.push({ p, ...v });
        const ranks = tokenSortRanks(type, p);
        const s = sortEntry(p, out.token.slice(start).flatMap((e) => (e.c !== undefined ? [ranks?.[e.c] ?? e.c] : [])));
        if (s) out.sort.push(s);
        break;
      }
      case 'date': {
        const start = out.date.length;
        for (const tv of found) for (const v of dateValues(tv)) out.date.push({ p, ...v });
        const entries = out.date.slice(start);
        const s = sortEntry(p, entries.map((e) => e.lo), entries.map((e) => e.hi));
        if (s) out.sort.push(s);
        break;
      }
      case 'number': {
        const start = out.number.length;
        for (const tv of found) for (const v of numberValues(tv)) out.number.push({ p, ...v });
        const entries = out.number.slice(start);
        const s = sortEntry(p, entries.map((e) => e.lo), entries.map((e) => e.hi));
        if (s) out.sort.push(s);
        break;
      }
      case 'quantity': {
        const start = out.quantity.length;
        for (const tv of found) for (const v of quantityValues(tv)) out.quantity.push({ p, ...v });
        const entries = out.quantity.slice(start);
        const s = sortEntry(p, entries.map((e) => e.lo), entries.map((e) => e.hi));
        if (s) out.sort.push(s);
        break;
      }
      case 'reference': {
        const start = out.reference.length;
        for (const tv of found) for (const v of referenceValues(tv, ctx)) out.reference.push({ p, ...v });
        const s = sortEntry(p, out.reference.slice(start).flatMap((e) => (e.t && e.i ? [`${e.t}/${e.i}`] : e.u ? [e.u] : [])));
        if (s) out.sort.push(s);
        break;
      }
      case 'uri': {
        const start = out.uri.length;
        for (const tv of found) for (const v of uriValues(tv)) out.uri.push({ p, ...v });
        const s = sortEntry(p, out.uri.slice(start).map((e) => e.v));
        if (s) out.sort.push(s);
        break;
      }
      case 'composite':
        if (param.components) for (const focus of found) addComposite(out, param, focus, ctx);
        break;
      case 'special': {
        // `near`: Location.position (0..1). A position without valid latitude and longitude is
        // not indexed, so it never matches instead of matching at (0, 0).
        const pos = found[0]?.value as { latitude?: unknown; longitude?: unknown } | undefined;
        const point = pos && typeof pos === 'object' ? geoPoint(pos.latitude, pos.longitude) : undefined;
        if (point) out.position.push({ p, lat: point.lat, lon: point.lon });
        break;
      }
      default:
        break;
    }
  }
  addTextSearch(out, resource);
  return out;
}

/** `_text` (narrative) and `_content` (all text of the resource), folded, for word search. */
function addTextSearch(out: IndexValues, resource: Resource): void {
  const div = (resource as { text?: { div?: unknown } }).text?.div;
  if (typeof div === 'string') {
    const text = foldString(narrativeText(div)).slice(0, MAX_CONTENT_CHARS);
    // `:exact` is meaningless for text search: no second copy of the text.
    if (text) out.string.push({ p: '_text', v: text, e: '' });
  }
  // Collect raw text first and fold once: folding is the costly part.
  const words: string[] = [];
  let length = 0;
  const walk = (v: unknown, key: string): void => {
    if (length > MAX_CONTENT_CHARS) return;
    if (typeof v === 'string') {
      if (SKIPPED_CONTENT_KEYS.has(key)) return;
      words.push(v);
      length += v.length + 1;
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object') for (const k in v as object) if (k !== 'meta') walk((v as Record<string, unknown>)[k], k);
  };
  walk(resource, '');
  const content = foldString(words.join(' ')).slice(0, MAX_CONTENT_CHARS);
  if (content) out.string.push({ p: '_content', v: content, e: '' });
}
