// Types for the parts of talisman (MIT, pure CommonJS functions) the linker uses; the package
// ships none.
declare module 'talisman/phonetics/double-metaphone' {
  /** Primary and alternate Double Metaphone codes of a word. */
  export default function doubleMetaphone(word: string): [string, string];
}
declare module 'talisman/metrics/jaro-winkler' {
  /** Jaro–Winkler similarity in [0, 1] (prefix scale 0.1, boost threshold 0.7). */
  export default function jaroWinkler(a: string, b: string): number;
}
declare module 'talisman/metrics/damerau-levenshtein' {
  /** Optimal-string-alignment edit distance (insert, delete, substitute, swap neighbours). */
  export default function damerauLevenshtein(a: string, b: string): number;
}
