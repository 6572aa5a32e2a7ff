// The normalised search values of one resource version, by value kind: what an engine stores so
// that a SearchPlan can be answered without reading resource JSON. Produced by search/indexer.ts.
//
// Shape rules, chosen so that both engines map it 1:1 (see docs/index-layout.md):
// - one flat array of records per kind, each record tagged with its parameter code `p`
//   (SQLite: one row per record in idx_<kind>; MongoDB: an embedded array with compound multikey
//   indexes on `{p, …}`); no arrays inside records, so FerretDB can index them;
// - every value is already normalised: strings folded, dates and numbers as half-open numeric
//   intervals `[lo, hi)`, tokens split into system and code, so an engine only compares scalars;
// - absent fields mean "no such value" (never null), so `{p, c}` without `s` is a code without system.

/** Earliest/latest instants representable by JS Date (±8.64e15 ms): the bounds of open periods. */
export const DATE_MIN = -8.64e15;
export const DATE_MAX = 8.64e15;
/** Bounds of open number/quantity ranges (Range without low or high). */
export const NUMBER_MIN = -1e300;
export const NUMBER_MAX = 1e300;

/** String parameter value. */
export interface StringEntry {
  p: string;
  /** Case- and accent-folded (NFD, combining marks removed, lower case): prefix/contains match. */
  v: string;
  /** The value as written (whitespace-trimmed): `:exact` match. */
  e: string;
}

/** Token parameter value (Coding, CodeableConcept, Identifier, ContactPoint, code, boolean, …). */
export interface TokenEntry {
  p: string;
  /** Coding.system / Identifier.system; absent when the value has no system. */
  s?: string;
  /** Coding.code / Identifier.value / ContactPoint.value / code / 'true'|'false'. */
  c?: string;
  /** Folded display or text, for `:text`. A CodeableConcept.text is its own entry without `c`. */
  t?: string;
  /** Identifier.type coding (`:of-type`): system and code. */
  ts?: string;
  tc?: string;
}

/** Date parameter value: the instants the value covers, `[lo, hi)` in epoch milliseconds. */
export interface DateEntry {
  p: string;
  lo: number;
  hi: number;
}

/** Number parameter value: the range implied by its significant figures, `[lo, hi)`. */
export interface NumberEntry {
  p: string;
  lo: number;
  hi: number;
}

/** Quantity parameter value: a number range plus the unit it was given in. */
export interface QuantityEntry {
  p: string;
  lo: number;
  hi: number;
  /** Quantity.system (normally UCUM). */
  s?: string;
  /** Quantity.code (coded unit). */
  c?: string;
  /** Quantity.unit (human unit), matched when the search gives `||unit`. */
  u?: string;
}

/** Reference parameter value. */
export interface ReferenceEntry {
  p: string;
  /** Target resource type, when the reference is relative (`Patient/1`) or a local absolute URL. */
  t?: string;
  /** Target logical id, for relative or local absolute references. */
  i?: string;
  /** Absolute URL of an external reference, or canonical URL (without `|version`). */
  u?: string;
  /** Canonical version (the part after `|`). */
  ver?: string;
  /** Reference.identifier (for `:identifier`): system and value. */
  is?: string;
  iv?: string;
}

/** URI parameter value (uri, url, canonical, oid, uuid), compared as written. */
export interface UriEntry {
  p: string;
  v: string;
}

/** Position parameter value (`near`, R4 Location.position): WGS84 decimal degrees. Location has
 * at most one position, so a resource has at most one entry per parameter. */
export interface PositionEntry {
  p: string;
  lat: number;
  lon: number;
}

/** The value of one component of a composite parameter; the same fields as its kind's entry. */
export type ComponentValue =
  | ({ k: 'string' } & Omit<StringEntry, 'p'>)
  | ({ k: 'token' } & Omit<TokenEntry, 'p'>)
  | ({ k: 'date' } & Omit<DateEntry, 'p'>)
  | ({ k: 'number' } & Omit<NumberEntry, 'p'>)
  | ({ k: 'quantity' } & Omit<QuantityEntry, 'p'>)
  | ({ k: 'reference' } & Omit<ReferenceEntry, 'p'>)
  | ({ k: 'uri' } & Omit<UriEntry, 'p'>);

/** Composite parameter value: one combination of component values taken from the same element
 * (e.g. one Observation.component's code and value). Components are keyed by position, `c0`,
 * `c1`, `c2`, so that a record never holds an array. */
export interface CompositeEntry {
  p: string;
  c0: ComponentValue;
  c1: ComponentValue;
  c2?: ComponentValue;
}

/** Per-parameter sort key: a multi-valued element sorts by its minimum ascending and its maximum
 * descending (R4 search.html §3.1.1.4.5), so both are stored. Dates use `lo` for min and `hi` for
 * max; strings the folded value; tokens the code; references `Type/id` or the URL. */
export interface SortEntry {
  p: string;
  min: number | string;
  max: number | string;
}

export interface IndexValues {
  string: StringEntry[];
  token: TokenEntry[];
  date: DateEntry[];
  number: NumberEntry[];
  quantity: QuantityEntry[];
  reference: ReferenceEntry[];
  uri: UriEntry[];
  composite: CompositeEntry[];
  position: PositionEntry[];
  sort: SortEntry[];
}

export type IndexKind = Exclude<keyof IndexValues, 'sort'>;

export const INDEX_KINDS: readonly IndexKind[] = ['string', 'token', 'date', 'number', 'quantity', 'reference', 'uri', 'composite', 'position'];

export function emptyIndexValues(): IndexValues {
  return { string: [], token: [], date: [], number: [], quantity: [], reference: [], uri: [], composite: [], position: [], sort: [] };
}
