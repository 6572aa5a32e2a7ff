// Plain-text table, readable in a terminal and pasteable into Markdown (it is a Markdown table).
import type { Row } from './rows';

const HEAD = ['workload', 'throughput', 'p50', 'p99', 'notes', 'target', 'status'];

function num(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function ms(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '';
  return n < 10 ? `${n.toFixed(2)} ms` : `${n.toFixed(1)} ms`;
}

export function formatRow(r: Row): string[] {
  const throughput = r.rate === undefined ? '' : `${num(r.rate)} ${r.unit ?? ''}`.trim();
  return [r.label, throughput, ms(r.p50Ms), ms(r.p99Ms), r.note ?? '', r.target ?? '', r.status ?? ''];
}

export function formatTable(rows: Row[]): string {
  const cells = [HEAD, ...rows.map(formatRow)];
  const widths = HEAD.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((s, i) => (i >= 1 && i <= 3 ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 1 && i <= 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(HEAD), rule, ...cells.slice(1).map(line)].join('\n');
}
