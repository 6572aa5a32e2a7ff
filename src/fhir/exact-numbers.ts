// How a parsed FHIR JSON value remembers the exact text of its numbers. FHIR decimals carry their
// precision (R4 datatypes.html: 0.010 and 0.01 differ) but a JavaScript number is a double, so
// `1.50` would come back as `1.5`. The parser (json.ts) keeps every number whose text a double
// does not reproduce as a lexeme on the object or array that holds it, under a symbol key: the
// value stays a plain number for validation, FHIRPath and indexing, and the serialiser writes the
// lexeme back. Symbol keys are invisible to JSON.stringify, Object.keys and for…in (so to ajv and
// fhirpath.js), and object spread copies them, so `{ ...resource }` keeps them too.

/** Container → `{ [key or array index]: lexeme }` of its numbers that need their own text. */
export const NUMBER_LEXEMES = Symbol('fhir.numberLexemes');
/** `true`: this container or one inside it has lexemes. `false` (parsed roots only): verified to
 * have none, so the native serialiser is exact. Absent: see json.ts (depends on who asks). */
export const HOLDS_LEXEMES = Symbol('fhir.holdsLexemes');

type Container = Record<string | symbol, unknown>;

/**
 * Sets the HOLDS_LEXEMES mark. `true` is enumerable so that object spread carries it (and the
 * lexemes) into copies; `false` is not, so that a parsed plain resource compares equal to its
 * JSON.parse twin in deep-equality checks, and a copy of it is simply unmarked (unmarked is
 * read as clean wherever the copy came from a parsed tree).
 */
export function markHoldsLexemes(container: object, holds: boolean): void {
  Object.defineProperty(container, HOLDS_LEXEMES, { value: holds, enumerable: holds, writable: true, configurable: true });
}

function lexemesOf(container: object): Record<string, string> | undefined {
  return (container as Container)[NUMBER_LEXEMES] as Record<string, string> | undefined;
}

/** The exact text of the number at `container[key]`, when it differs from the double's. */
export function numberLexeme(container: unknown, key: string | number): string | undefined {
  if (!container || typeof container !== 'object') return undefined;
  const lexeme = lexemesOf(container)?.[String(key)];
  const value = (container as Container)[key as string];
  // A lexeme whose value no longer matches was left behind by an edit: it is not this number's.
  return lexeme !== undefined && typeof value === 'number' && Number(lexeme) === value ? lexeme : undefined;
}

/** Records (or, with undefined, forgets) the text of the number at `container[key]`. */
export function setNumberLexeme(container: object, key: string | number, lexeme: string | undefined): void {
  const c = container as Container;
  const existing = lexemesOf(container);
  if (lexeme === undefined) {
    if (existing) delete existing[String(key)];
    return;
  }
  if (existing) existing[String(key)] = lexeme;
  else c[NUMBER_LEXEMES] = { [String(key)]: lexeme };
  markHoldsLexemes(c, true);
}

/** Deep copy of a JSON value that keeps number lexemes (structuredClone drops symbol keys). */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const source = value as unknown as Container;
  const copy: Container = Array.isArray(value) ? (value.map((v) => cloneJson(v)) as unknown as Container) : {};
  if (!Array.isArray(value)) {
    for (const key of Object.keys(source)) {
      const v = cloneJson(source[key]);
      // `__proto__` as an own data property, as JSON.parse creates it (an assignment would set the prototype).
      if (key === '__proto__') Object.defineProperty(copy, key, { value: v, enumerable: true, writable: true, configurable: true });
      else copy[key] = v;
    }
  }
  const lexemes = lexemesOf(source);
  if (lexemes) copy[NUMBER_LEXEMES] = { ...lexemes };
  if (typeof source[HOLDS_LEXEMES] === 'boolean') markHoldsLexemes(copy, source[HOLDS_LEXEMES] as boolean);
  return copy as unknown as T;
}

/**
 * Recomputes the HOLDS_LEXEMES marks of a tree after it was edited (PATCH moves numbers between
 * documents), so that the serialiser's fast path is taken exactly when it is exact. Returns
 * whether the tree holds any lexeme. The tree's depth must already be bounded (json.ts).
 */
export function markNumberLexemes(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const c = value as Container;
  let holds = false;
  const lexemes = lexemesOf(value);
  if (lexemes) {
    for (const key of Object.keys(lexemes)) {
      if (numberLexeme(value, Array.isArray(value) ? Number(key) : key) !== undefined) holds = true;
      else delete lexemes[key];
    }
  }
  for (const key of Object.keys(c)) if (markNumberLexemes(c[key])) holds = true;
  markHoldsLexemes(c, holds);
  return holds;
}

/**
 * `array.splice` that keeps the lexemes of the numbers it shifts, removes or inserts (a decimal
 * list such as MolecularSequence.quality.roc.precision keeps every text through a PATCH).
 * `lexemes[i]` is the text of `items[i]` when it has one. Returns the removed values.
 */
export function spliceJson(array: unknown[], start: number, deleteCount: number, items: unknown[] = [], lexemes: (string | undefined)[] = []): unknown[] {
  const before = lexemesOf(array);
  const after: Record<string, string> = {};
  if (before) {
    for (const [k, lexeme] of Object.entries(before)) {
      const i = Number(k);
      if (i < start) after[k] = lexeme;
      else if (i >= start + deleteCount) after[String(i - deleteCount + items.length)] = lexeme;
    }
  }
  const removed = array.splice(start, deleteCount, ...items);
  items.forEach((_, j) => {
    if (lexemes[j] !== undefined) after[String(start + j)] = lexemes[j]!;
  });
  if (Object.keys(after).length) {
    (array as unknown as Container)[NUMBER_LEXEMES] = after;
    markHoldsLexemes(array, true);
  } else if (before) delete (array as unknown as Container)[NUMBER_LEXEMES];
  return removed;
}
