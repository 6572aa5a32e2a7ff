// FHIR JSON text ⇄ values, safely and exactly. Parsing refuses nesting deeper than MAX_JSON_DEPTH
// before any recursive code (validator, FHIRPath, link walks) can see it, refuses numbers beyond
// the range of a FHIR decimal, and keeps the text of every number a double does not reproduce
// (`1.50`, `1.0000000000000000000000001`, `-0`; see exact-numbers.ts). Serialising writes those
// texts back. Both sides take the native JSON path when no number needs its own text, which is
// nearly always: one linear scan of the text decides.
import { errors } from './errors';
import { HOLDS_LEXEMES, markHoldsLexemes, NUMBER_LEXEMES, numberLexeme } from './exact-numbers';

/**
 * Deepest nesting of objects and arrays accepted. R4's deepest non-recursive element path is 23
 * levels (StructureMap.group.rule.source.defaultValueContributor…, counted in JSON containers), the
 * official R4 examples reach 22, and a Bundle adds 3 per level of entry.resource; recursive
 * elements (Questionnaire.item, nested extensions, contained) need some more. 100 leaves room for
 * all of that while every recursive walk over a resource stays far from the stack limit.
 */
export const MAX_JSON_DEPTH = 100;

type Container = Record<string | symbol, unknown>;

const QUOTE = 34;
const BACKSLASH = 92;

/** Index of the quote that closes the string opened at `start` (text.length if none). */
function endOfString(text: string, start: number): number {
  let j = start;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j < 0) return text.length;
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
  }
}

/** True when JSON.stringify(Number(lexeme)) gives the lexeme back (and the value is finite). */
function roundTrips(lexeme: string): boolean {
  return String(Number(lexeme)) === lexeme;
}

/**
 * Whether `text[start, end)` is a plain decimal (`-12.75`, `0.004`) that certainly prints back as
 * written, decided without converting it: at most 15 significant digits (so no other decimal of
 * as few digits names the same double), no trailing zero, no exponent, and not below 1e-6 (where
 * JavaScript switches to exponent notation). Anything else is checked by conversion.
 */
function shortDecimal(text: string, start: number, end: number): boolean {
  let i = text.charCodeAt(start) === 45 ? start + 1 : start;
  let leadingZeros = 0;
  let significant = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) dot = true;
    else if (c < 48 || c > 57) return false; // exponent
    else if (significant === 0 && c === 48) leadingZeros++;
    else significant++;
  }
  // `0.0000012` has 6 zeros before its digits (one before the point): below 1e-6.
  return dot && significant > 0 && significant <= 15 && leadingZeros <= 6 && text.charCodeAt(end - 1) !== 48;
}

/**
 * One pass over the text, strings skipped: throws when nesting exceeds `maxDepth`, and tells
 * whether some number needs its own text (or is out of range; the exact parse then says where).
 * It does not check syntax: JSON.parse does, right after.
 */
function scan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let exact = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = endOfString(text, i);
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) throw errors.tooDeep(maxDepth);
    } else if (c === 125 || c === 93) depth--;
    else if (c === 45 || (c >= 48 && c <= 57)) {
      // A number: digits, and `.eE+-` in fractions and exponents.
      let j = i + 1;
      let plainInteger = true;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d >= 48 && d <= 57) continue;
        if (d === 46 || d === 101 || d === 69 || d === 43 || d === 45) plainInteger = false;
        else break;
      }
      // Integers of up to 15 digits are exact doubles; `-0` is the one that prints differently.
      if (!exact && (plainInteger ? j - i > 15 || (c === 45 && text.charCodeAt(i + 1) === 48) : !shortDecimal(text, i, j))) exact = !roundTrips(text.slice(i, j));
      i = j - 1;
    }
  }
  return exact;
}

export interface ParseOptions {
  maxDepth?: number;
}

/**
 * Parses client JSON (request bodies, Bundle entries, PATCH documents, imported files). Throws
 * FhirErrors: too deep (400), not JSON (400), a number out of range (400 naming the element).
 */
export function parseFhirJson(text: string, options: ParseOptions = {}): unknown {
  const exact = scan(text, options.maxDepth ?? MAX_JSON_DEPTH);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw errors.invalidJson((e as Error).message.slice(0, 200));
  }
  if (exact) return new ExactParser(text).parse();
  // Marks a verified-clean root, so that an answer embedding it serialises it natively.
  if (value !== null && typeof value === 'object') markHoldsLexemes(value, false);
  return value;
}

/** Parses text this server stored (already checked when written): exact, no depth refusal. */
export function parseStoredJson(text: string): unknown {
  return parseFhirJson(text, { maxDepth: Number.MAX_SAFE_INTEGER });
}

/**
 * Recursive descent over text JSON.parse has already accepted, so syntax errors are not expected;
 * recursion depth is bounded by the scan. Numbers become doubles with their lexeme kept when the
 * double does not print as written; every container on the way to such a number is marked.
 */
class ExactParser {
  private pos = 0;
  private readonly stack: Container[] = [];
  private readonly path: (string | number)[] = [];
  /** The first number beyond the range (reported once the root's resourceType is known). */
  private outOfRange?: { lexeme: string; path: (string | number)[] };

  constructor(private readonly text: string) {}

  parse(): unknown {
    this.space();
    const root = this.isNumberStart() ? this.finite(this.lexeme()) : this.value();
    this.space();
    if (this.pos !== this.text.length) this.fail();
    if (this.outOfRange) throw errors.numberOutOfRange(this.outOfRange.lexeme, expressionOf(root, this.outOfRange.path));
    return root;
  }

  private fail(): never {
    throw errors.invalidJson(`unexpected character at position ${this.pos}`);
  }

  private space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.pos++;
      else return;
    }
  }

  private isNumberStart(): boolean {
    const c = this.text.charCodeAt(this.pos);
    return c === 45 || (c >= 48 && c <= 57);
  }

  /** Any value but a number (numbers are read by `member`, which knows where they go). */
  private value(): unknown {
    const c = this.text.charCodeAt(this.pos);
    if (c === 123) return this.object();
    if (c === 91) return this.array();
    if (c === QUOTE) return this.string();
    for (const [word, v] of LITERALS) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    return this.fail();
  }

  private string(): string {
    const start = this.pos;
    const end = endOfString(this.text, start);
    if (end >= this.text.length) this.fail();
    this.pos = end + 1;
    const raw = this.text.slice(start + 1, end);
    return raw.includes('\\') ? (JSON.parse(this.text.slice(start, end + 1)) as string) : raw;
  }

  private lexeme(): string {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.fail();
    this.pos += m[0].length;
    return m[0];
  }

  private finite(lexeme: string): number {
    const v = Number(lexeme);
    if (!Number.isFinite(v)) this.outOfRange ??= { lexeme, path: [...this.path] };
    return v;
  }

  /** Reads the value of `container[key]` and stores it (a duplicate key replaces, as in JSON.parse). */
  private member(container: Container, key: string | number): void {
    this.space();
    this.path.push(key);
    let v: unknown;
    const lexemes = container[NUMBER_LEXEMES] as Record<string, string> | undefined;
    if (lexemes) delete lexemes[String(key)];
    if (this.isNumberStart()) {
      const lexeme = this.lexeme();
      v = this.finite(lexeme);
      if (!roundTrips(lexeme)) this.keep(container, key, lexeme);
    } else v = this.value();
    this.path.pop();
    // `__proto__` as an own data property, as JSON.parse creates it (an assignment would set the prototype).
    if (key === '__proto__') Object.defineProperty(container, key, { value: v, enumerable: true, writable: true, configurable: true });
    else container[key as string] = v;
  }

  private keep(container: Container, key: string | number, lexeme: string): void {
    let lexemes = container[NUMBER_LEXEMES] as Record<string, string> | undefined;
    if (!lexemes) container[NUMBER_LEXEMES] = lexemes = {};
    lexemes[String(key)] = lexeme;
    for (let i = this.stack.length - 1; i >= 0 && this.stack[i][HOLDS_LEXEMES] !== true; i--) markHoldsLexemes(this.stack[i], true);
  }

  private object(): Container {
    const o: Container = {};
    this.pos++;
    this.stack.push(o);
    this.space();
    if (this.text.charCodeAt(this.pos) === 125) this.pos++;
    else {
      for (;;) {
        this.space();
        if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail();
        const key = this.string();
        this.space();
        if (this.text.charCodeAt(this.pos) !== 58) this.fail();
        this.pos++;
        this.member(o, key);
        this.space();
        const c = this.text.charCodeAt(this.pos++);
        if (c === 125) break;
        if (c !== 44) this.fail();
      }
    }
    this.stack.pop();
    return o;
  }

  private array(): unknown[] {
    const a: unknown[] = [];
    this.pos++;
    this.stack.push(a as unknown as Container);
    this.space();
    if (this.text.charCodeAt(this.pos) === 93) this.pos++;
    else {
      for (let i = 0; ; i++) {
        this.member(a as unknown as Container, i);
        this.space();
        const c = this.text.charCodeAt(this.pos++);
        if (c === 93) break;
        if (c !== 44) this.fail();
      }
    }
    this.stack.pop();
    return a;
  }
}

/** FHIRPath-like location of a member: `Observation.valueQuantity.value`, `Bundle.entry[0]…`. */
function expressionOf(root: unknown, path: (string | number)[]): string {
  const rt = (root as { resourceType?: unknown } | null)?.resourceType;
  let out = typeof rt === 'string' ? rt : '$';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${p}`;
  return out;
}

const LITERALS: [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

// ---- serialising ------------------------------------------------------------------------------

/**
 * The stored text of a resource. Trusts the marks the parser left: a resource not marked as
 * holding lexemes serialises natively (so do resources built in code, whose numbers are plain
 * doubles). Afterwards the resource is marked as checked, so answers that embed it (Bundle
 * responses) take the native path too.
 */
export function serialiseResource(resource: object): string {
  const c = resource as Container;
  if (c[HOLDS_LEXEMES] !== true) {
    markHoldsLexemes(c, false);
    return JSON.stringify(resource);
  }
  return write(resource, undefined, '', true);
}

/**
 * Any JSON answer (Bundles, OperationOutcomes, subsets of resources): exact wherever a parsed
 * resource is embedded. Containers whose origin is unknown (built by code around parsed parts) are
 * walked; parsed parts verified clean are serialised natively.
 */
export function stringifyJson(value: unknown, indent?: number): string {
  return write(value, indent, '', false);
}

/** `trusted`: inside a parsed tree, where an unmarked container is known to hold no lexeme. */
function write(value: unknown, indent: number | undefined, prefix: string, trusted: boolean): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const c = value as Container & { toJSON?: unknown };
  if (typeof c.toJSON === 'function') return write((c.toJSON as () => unknown)(), indent, prefix, trusted);
  const holds = c[HOLDS_LEXEMES];
  if (holds === false || (holds === undefined && trusted)) return native(value, indent, prefix);
  const inner = holds === true;
  const nl = indent ? `\n${prefix}${' '.repeat(indent)}` : '';
  const childPrefix = indent ? prefix + ' '.repeat(indent) : '';
  const colon = indent ? ': ' : ':';
  const parts: string[] = [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const text = typeof v === 'number' ? (numberLexeme(value, i) ?? JSON.stringify(v)) : v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : write(v, indent, childPrefix, inner);
      parts.push(text);
    }
    if (!parts.length) return '[]';
    return indent ? `[${nl}${parts.join(`,${nl}`)}\n${prefix}]` : `[${parts.join(',')}]`;
  }
  for (const key of Object.keys(c)) {
    const v = c[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    const text = typeof v === 'number' ? (numberLexeme(c, key) ?? JSON.stringify(v)) : write(v, indent, childPrefix, inner);
    parts.push(`${JSON.stringify(key)}${colon}${text}`);
  }
  if (!parts.length) return '{}';
  return indent ? `{${nl}${parts.join(`,${nl}`)}\n${prefix}}` : `{${parts.join(',')}}`;
}

function native(value: unknown, indent: number | undefined, prefix: string): string {
  if (!indent) return JSON.stringify(value);
  const text = JSON.stringify(value, null, indent);
  return prefix ? text.replace(/\n/g, `\n${prefix}`) : text;
}

/**
 * Refuses a value built from parsed parts (a patched resource) that nests deeper than the limit:
 * a series of PATCHes could otherwise grow a resource past what any single body may carry.
 * Iterative, so it is safe on any depth.
 */
export function assertJsonDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): void {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length) {
    const [v, depth] = pending.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxDepth) throw errors.tooDeep(maxDepth);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
  }
}
