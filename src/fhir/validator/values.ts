// Comparing instance values with fixed[x] (exact) and pattern[x] (the instance contains the
// pattern: every element of the pattern is present with the same value; array items of the pattern
// each match some item of the instance), and minValue/maxValue bounds.

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return value === pattern;
  if (Array.isArray(pattern)) {
    const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return pattern.every((p) => items.some((v) => matchesPattern(v, p)));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return Object.entries(pattern as Record<string, unknown>).every(([k, p]) => v[k] !== undefined && matchesPattern(v[k], p));
}

/** Compares a value with a minValue/maxValue bound of the same type; undefined when incomparable. */
export function compareBound(value: unknown, bound: unknown): number | undefined {
  if (typeof value === 'number' && typeof bound === 'number') return value - bound;
  if (typeof value === 'string' && typeof bound === 'string') {
    // Dates and times compare as text when their precision is the same.
    if (value.length !== bound.length) return undefined;
    return value < bound ? -1 : value > bound ? 1 : 0;
  }
  if (value && bound && typeof value === 'object' && typeof bound === 'object') {
    const q = value as { value?: unknown; code?: unknown; unit?: unknown };
    const b = bound as { value?: unknown; code?: unknown; unit?: unknown };
    if (typeof q.value === 'number' && typeof b.value === 'number' && (q.code ?? q.unit) === (b.code ?? b.unit)) return q.value - b.value;
  }
  return undefined;
}

export function short(v: unknown): string {
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
