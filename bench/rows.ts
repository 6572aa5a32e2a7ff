// One line of the figures table. A row always appears, measured or not: an unmeasured row says why
// (n/a, skipped, failed) so that a missing feature is visible rather than silently absent.
export interface Row {
  /** Stable id, also what `--only` matches. */
  id: string;
  label: string;
  rate?: number;
  /** req/s, res/s, matches/s, ms, MiB… */
  unit?: string;
  p50Ms?: number;
  p99Ms?: number;
  /** Shown instead of the figures when nothing was measured, or beside them. */
  note?: string;
  target?: string;
  status?: 'met' | 'MISSED' | 'n/a' | '—';
}

export function naRow(id: string, label: string, why: string): Row {
  return { id, label, note: `n/a (${why})` };
}
