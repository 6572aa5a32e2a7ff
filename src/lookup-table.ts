// Lookup tables keyed by what a client sends (a model code, a unit, a statistic, an XHTML tag, a
// CLI command…). An object literal inherits `constructor`, `toString`, `__proto__`… from
// Object.prototype, so `TABLE[clientWord]` finds a function for those words instead of nothing,
// and `word in TABLE` says yes: fuzzing found a 500 and a `Content-Type: [object Object]` that way.
// A table built here has no prototype, so only its own entries are ever found.

/** A frozen copy of `entries` with no prototype: indexing it with any string is safe. */
export function lookupTable<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}
