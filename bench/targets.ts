// The targets of the issues (6 and later) on 2 cores, applied to measured rows. A target whose condition cannot be
// judged at this size (the 1M-resource search latency) is shown with status '—'.
import type { Row } from './rows';

interface Target {
  id: string;
  text: string;
  /** undefined: not judged in this run. */
  met(row: Row, ctx: { resources: number }): boolean | undefined;
}

const TARGETS: Target[] = [
  { id: 'ingest.transaction', text: '≥ 5,000 res/s', met: (r) => r.rate! >= 5000 },
  { id: 'ingest.import', text: '≥ 5,000 res/s', met: (r) => r.rate! >= 5000 },
  { id: 'create.16', text: '≥ 2,000 res/s', met: (r) => r.rate! >= 2000 },
  { id: 'read.1', text: 'p50 < 0.5 ms', met: (r) => r.p50Ms! < 0.5 },
  { id: 'read.32', text: '≥ 6,000 req/s', met: (r) => r.rate! >= 6000 },
  { id: 'ceiling.express.share', text: '≥ 70 %', met: (r) => r.rate! >= 70 },
  { id: 'read.token.share', text: '≥ 80 %', met: (r) => r.rate! >= 80 },
  { id: 'search.code.rare.first', text: 'p50 < 10 ms at 1m', met: (r, c) => (c.resources >= 1e6 ? r.p50Ms! < 10 : undefined) },
  { id: 'search.count', text: '≥ 2M matches/s', met: (r) => r.rate! >= 2e6 },
  { id: 'download', text: '≥ 30k res/s', met: (r) => r.rate! >= 30_000 },
  // Issue 14: bookings of distinct Slots, each its own all-or-nothing transaction.
  { id: 'book.32', text: '≥ 500 bookings/s', met: (r) => r.rate! >= 500 },
  { id: 'book.64', text: '≥ 500 bookings/s', met: (r) => r.rate! >= 500 },
  { id: 'startup', text: '< 1 s', met: (r) => r.rate! < 1000 },
  { id: 'validate.observation.base', text: '≤ 150 µs', met: (r) => r.rate! <= 150 },
  { id: 'validate.observation.profile', text: '≤ 300 µs', met: (r) => r.rate! <= 300 },
];

function targetFor(id: string): Target | undefined {
  return TARGETS.find((t) => (t.id === 'download' ? id.endsWith('.download') : t.id === 'search.count' ? id.startsWith('search.count') : t.id === id));
}

export function applyTargets(rows: Row[], ctx: { resources: number }): void {
  for (const row of rows) {
    const t = targetFor(row.id);
    if (!t) continue;
    row.target = t.text;
    if (row.rate === undefined && row.p50Ms === undefined) row.status = 'n/a';
    else {
      const met = t.met(row, ctx);
      row.status = met === undefined ? '—' : met ? 'met' : 'MISSED';
    }
  }
}
