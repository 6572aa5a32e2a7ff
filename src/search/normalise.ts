// Normalisation shared by indexing (stored values) and planning (search values), so that both
// sides of every comparison are produced by the same function.
import { DATE_MAX, DATE_MIN } from './index-values';

const PLAIN_ASCII = /^[\x20-\x7e]*$/;
/** Leading/trailing blanks or runs of blanks that folding collapses. */
const SPACE_RUN = /^\s|\s$|\s\s/;

/** Case- and accent-insensitive form: NFD, combining marks removed, lower case, spaces collapsed.
 * (`Ångström` → `angstrom`; `ß` stays `ß`: R4 only asks for accent and case folding.) */
export function foldString(value: string): string {
  // Fast path (most values): printable ASCII needs neither NFD nor mark stripping.
  if (PLAIN_ASCII.test(value)) {
    const lower = value.toLowerCase();
    return SPACE_RUN.test(lower) ? lower.replace(/\s+/g, ' ').trim() : lower;
  }
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The instants a FHIR date/dateTime/instant (or a search date value) covers: `[lo, hi)` in epoch
 * ms, from its precision. A value without a time zone is taken as UTC (R4 leaves it to the server;
 * UTC makes results independent of where the server runs). Returns undefined if malformed.
 */
export function dateRange(text: string): [number, number] | undefined {
  const m = DATE_RE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (mo && (month < 0 || month > 11)) return undefined;
  if (d && (day < 1 || day > daysInMonth(year, month))) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 59)) return undefined;
  // A time without minutes (`T10`) is not a FHIR form.
  if (h !== undefined && mi === undefined) return undefined;
  let offsetMs = 0;
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    offsetMs = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60000;
  }
  const fracMs = frac ? Number(`0.${frac}`) * 1000 : 0;
  const base = Date.UTC(year, month, day, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)) + Math.floor(fracMs) - offsetMs;
  // Date.UTC maps years 0–99 to 1900+; restore them.
  const lo = year < 100 ? shiftYears(base, year) : base;
  let hi: number;
  if (!mo) hi = Date.UTC(year + 1, 0, 1);
  else if (!d) hi = Date.UTC(year, month + 1, 1);
  else if (h === undefined) hi = Date.UTC(year, month, day + 1);
  else if (s === undefined) return [lo, lo + 60000];
  else if (!frac) return [lo, lo + 1000];
  else return [lo, lo + Math.max(1, 10 ** (3 - frac.length))];
  if (year < 100) hi = shiftYears(hi, year + (!mo ? 1 : 0));
  return [lo, hi];
}

function shiftYears(ms: number, year: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(year);
  return d.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** `[lo, hi)` of a Period; an open end extends to the representable limit. */
export function periodRange(start: unknown, end: unknown): [number, number] | undefined {
  const s = typeof start === 'string' ? dateRange(start) : undefined;
  const e = typeof end === 'string' ? dateRange(end) : undefined;
  if (!s && !e) return undefined;
  return [s ? s[0] : DATE_MIN, e ? e[1] : DATE_MAX];
}

const NUMBER_RE = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The range a written number stands for, from its significant figures (R4 search.html: `100`
 * means [99.5, 100.5), `100.00` means [99.995, 100.005), `1e2` means [50, 150)).
 */
export function numberRange(text: string): { value: number; low: number; high: number } | undefined {
  const t = text.trim();
  const m = NUMBER_RE.exec(t);
  if (!m) return undefined;
  const value = Number(t);
  if (!Number.isFinite(value)) return undefined;
  const decimals = (m[2]?.length ?? 0) - Number(m[3] ?? 0);
  const half = 0.5 * 10 ** -decimals;
  // A value written more precisely than a double holds (`1.0000000000000000000000001`, kept exactly
  // in stored resources) has a range narrower than one step between doubles; it would vanish into
  // low === high and match nothing, not even itself. Such a range covers the value's neighbours.
  let low = roundTo(value - half, decimals + 1);
  let high = roundTo(value + half, decimals + 1);
  if (low >= value) low = nextDouble(value, -1);
  if (high <= value) high = nextDouble(value, 1);
  return { value, low, high };
}

/** The double next to `x` towards +∞ (1) or −∞ (−1). */
function nextDouble(x: number, direction: 1 | -1): number {
  if (x === 0) return direction * Number.MIN_VALUE;
  const bits = new BigInt64Array(new Float64Array([x]).buffer);
  bits[0] += x > 0 === direction > 0 ? 1n : -1n;
  return new Float64Array(bits.buffer)[0];
}

/** Removes binary floating noise (100 - 0.05 = 99.94999…) at a precision beyond the value's. */
function roundTo(n: number, decimals: number): number {
  if (decimals < 0 || decimals > 15) return n;
  return Number(n.toFixed(decimals));
}

/** Strips narrative XHTML to its text (for `_text`): tags and entities are not content. */
export function narrativeText(xhtml: string): string {
  return xhtml
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
