// The pure parts of the bench: size flags, targets and the table layout.
import { parseBenchArgs, parseSize } from '../../bench/args';
import type { Row } from '../../bench/rows';
import { formatTable } from '../../bench/table';
import { applyTargets } from '../../bench/targets';

describe('bench sizes', () => {
  it('maps sizes to patients beyond the fixed care directory', () => {
    expect(parseSize('10k', 1800)).toEqual({ label: '10k', resources: 10_000, patients: 41 });
    expect(parseSize('1m', 0).patients).toBe(5051);
    expect(parseSize('1').patients).toBe(1);
    expect(() => parseSize('lots')).toThrow(/--size/);
  });

  it('rejects unknown engines and defaults to both', () => {
    expect(parseBenchArgs([]).engines).toEqual(['sqlite', 'mongodb']);
    expect(() => parseBenchArgs(['--engines', 'postgres'])).toThrow(/sqlite and\/or mongodb/);
  });
});

describe('bench targets and table', () => {
  const rows: Row[] = [
    { id: 'read.32', label: 'read by id (32 conns)', rate: 7000, unit: 'req/s', p50Ms: 4, p99Ms: 9 },
    { id: 'read.1', label: 'read by id (1 conn)', rate: 2000, unit: 'req/s', p50Ms: 0.7, p99Ms: 2 },
    { id: 'search.code.rare.first', label: 'rare', rate: 100, unit: 'req/s', p50Ms: 3, p99Ms: 5 },
    { id: 'search.code.common.download', label: 'download', note: 'n/a (not implemented: HTTP 404)' },
  ];

  it('marks met, missed, not judged at this size, and n/a', () => {
    applyTargets(rows, { resources: 10_000 });
    expect(rows.map((r) => r.status)).toEqual(['met', 'MISSED', '—', 'n/a']);
    applyTargets(rows, { resources: 1_000_000 });
    expect(rows[2].status).toBe('met');
  });

  it('lays rows out as an aligned Markdown table', () => {
    const lines = formatTable(rows).split('\n');
    expect(lines).toHaveLength(2 + rows.length);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toContain('7,000 req/s');
    expect(lines[3]).toContain('0.70 ms');
  });
});

describe('engine comparison', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { formatComparison } = require('../../bench/compare') as typeof import('../../bench/compare');
  it('pairs rows by id and prints the ratio, saying which direction is better', () => {
    const text = formatComparison(
      'SQLite',
      [
        { id: 'read.1', label: 'read by id (1 conn)', rate: 4000, unit: 'req/s' },
        { id: 'startup', label: 'start-up', rate: 500, unit: 'ms' },
        { id: 'only.sqlite', label: 'only here', rate: 1, unit: 'req/s' },
      ],
      'MongoDB',
      [
        { id: 'read.1', label: 'read by id (1 conn)', rate: 1000, unit: 'req/s' },
        { id: 'startup', label: 'start-up', rate: 1500, unit: 'ms' },
      ],
    );
    expect(text).toMatch(/read by id \(1 conn\) \|\s+4,000 req\/s \|\s+1,000 req\/s \|\s+0\.25× \(higher is better\)/);
    expect(text).toMatch(/start-up\s+\|\s+500 ms \|\s+1,500 ms \|\s+3\.00× \(lower is better\)/);
    expect(text).not.toContain('only here');
  });
});
