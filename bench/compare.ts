// The side-by-side view of two engines' tables: for every workload both measured in the same unit,
// the two figures and their ratio, so "how does MongoDB compare here" is one column to read.
import type { Row } from './rows';
import { formatRow } from './table';

/** Units where a larger figure is worse (times, sizes): the ratio column says so. */
const SMALLER_IS_BETTER = new Set(['ms', 'MiB']);

export function formatComparison(baseName: string, base: Row[], otherName: string, other: Row[]): string {
  const byId = new Map(other.map((r) => [r.id, r]));
  const head = ['workload', baseName, otherName, `${otherName} / ${baseName}`];
  const lines: string[][] = [];
  for (const a of base) {
    const b = byId.get(a.id);
    if (!b || a.rate === undefined || b.rate === undefined || a.unit !== b.unit || a.rate === 0) continue;
    const ratio = b.rate / a.rate;
    const better = SMALLER_IS_BETTER.has(a.unit ?? '') ? 'lower is better' : 'higher is better';
    lines.push([a.label, formatRow(a)[1], formatRow(b)[1], `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}× (${better})`]);
  }
  if (!lines.length) return `no workload was measured on both ${baseName} and ${otherName}`;
  const cells = [head, ...lines];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((s, i) => (i === 0 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(head), rule, ...lines.map(line)].join('\n');
}
