// Comparing instance values with fixed[x] (exact) and pattern[x] (the instance contains the
// pattern: every element of the pattern is present with the same value; array items of the pattern
// each match some item of the instance), and minValue/maxValue bounds.
import { lookupTable } from '../../lookup-table';

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

/**
 * UCUM units of the same dimension as multiples of one base unit, so a bound in kg applies to a
 * value in g. Only plain units (no compound expressions): others compare when the codes are equal.
 */
const UCUM_FACTORS: Record<string, [dimension: string, factor: number]> = lookupTable({
  kg: ['g', 1e3], g: ['g', 1], mg: ['g', 1e-3], ug: ['g', 1e-6], ng: ['g', 1e-9], '[lb_av]': ['g', 453.59237], '[oz_av]': ['g', 28.349523125],
  km: ['m', 1e3], m: ['m', 1], cm: ['m', 1e-2], mm: ['m', 1e-3], um: ['m', 1e-6], '[in_i]': ['m', 0.0254], '[ft_i]': ['m', 0.3048],
  L: ['L', 1], l: ['L', 1], dL: ['L', 0.1], mL: ['L', 1e-3], uL: ['L', 1e-6],
  ms: ['s', 1e-3], s: ['s', 1], min: ['s', 60], h: ['s', 3600], d: ['s', 86400], wk: ['s', 604800], mo: ['s', 2629800], a: ['s', 31557600],
});
const UCUM = 'http://unitsofmeasure.org';

/** A quantity's value in the base unit of its dimension (undefined: not a known plain UCUM unit). */
function inBaseUnit(q: { value?: unknown; code?: unknown; system?: unknown }): [string, number] | undefined {
  if (typeof q.value !== 'number' || typeof q.code !== 'string' || (q.system !== undefined && q.system !== UCUM)) return undefined;
  const f = UCUM_FACTORS[q.code];
  return f ? [f[0], q.value * f[1]] : undefined;
}

/**
 * A bound as ElementDefinition states it, made comparable with the value: a Duration bound on a
 * date/time element (minValueDuration / maxValueDuration, as profiles use them) is that long
 * before now (minimum) or after now (maximum), at the precision of the value.
 */
export function resolveBound(value: unknown, bound: unknown, side: 'min' | 'max', now = Date.now()): unknown {
  if (typeof value !== 'string' || !/^\d{4}/.test(value) || !bound || typeof bound !== 'object') return bound;
  const seconds = inBaseUnit(bound as { value?: unknown; code?: unknown; system?: unknown });
  if (!seconds || seconds[0] !== 's') return bound;
  const at = new Date(now + (side === 'min' ? -1 : 1) * seconds[1] * 1000).toISOString();
  return value.length <= 10 ? at.slice(0, value.length) : at;
}

/** Compares a value with a minValue/maxValue bound of the same type; undefined when incomparable. */
export function compareBound(value: unknown, bound: unknown): number | undefined {
  if (typeof value === 'number' && typeof bound === 'number') return value - bound;
  if (typeof value === 'string' && typeof bound === 'string') {
    if (value.length > 10 && bound.length > 10) {
      const a = Date.parse(value);
      const b = Date.parse(bound);
      if (!Number.isNaN(a) && !Number.isNaN(b)) return a - b;
    }
    // Dates and times compare as text when their precision is the same.
    if (value.length !== bound.length) return undefined;
    return value < bound ? -1 : value > bound ? 1 : 0;
  }
  if (value && bound && typeof value === 'object' && typeof bound === 'object') {
    const q = value as { value?: unknown; code?: unknown; unit?: unknown; system?: unknown };
    const b = bound as { value?: unknown; code?: unknown; unit?: unknown; system?: unknown };
    if (typeof q.value === 'number' && typeof b.value === 'number' && (q.code ?? q.unit) === (b.code ?? b.unit)) return q.value - b.value;
    const qb = inBaseUnit(q);
    const bb = inBaseUnit(b);
    if (qb && bb && qb[0] === bb[0]) return qb[1] - bb[1];
  }
  return undefined;
}

export function short(v: unknown): string {
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
