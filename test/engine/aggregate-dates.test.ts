// Engine conformance: aggregate by date bucket (day, ISO week, month, year) counts each resource
// once per bucket its date entries start in, the same on every engine, checked against a
// brute-force bucketing written here.
import type { Resource } from '@medplum/fhirtypes';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { put } from '../search/support';

const DAY = 86_400_000;
// Dates around week, month and year boundaries (2023-12-31 is a Sunday, 2024-01-01 a Monday).
const dates = ['2023-12-30T23:59:59Z', '2023-12-31T12:00:00Z', '2024-01-01T00:00:00Z', '2024-01-07T10:00:00Z', '2024-01-08T10:00:00Z', '2024-02-29T08:00:00Z', '2024-02-29T09:00:00Z', '2024-03-01', '1969-12-31T23:00:00Z', '2024-01'];
const resources: Resource[] = dates.map((d, i) => ({ resourceType: 'Observation', id: `d${i}`, status: i % 2 ? 'final' : 'amended', code: { text: 'x' }, effectiveDateTime: d }) as Resource);
// A period counts in the bucket of its start; an open start has no bucket.
resources.push({ resourceType: 'Observation', id: 'period', status: 'final', code: { text: 'x' }, effectivePeriod: { start: '2024-01-02T00:00:00Z', end: '2024-03-02T00:00:00Z' } } as Resource);
resources.push({ resourceType: 'Observation', id: 'open', status: 'final', code: { text: 'x' }, effectivePeriod: { end: '2024-03-02T00:00:00Z' } } as Resource);

/** Independent bucketing: the first day of the bucket, as text. */
function bucket(start: number, unit: 'day' | 'week' | 'month' | 'year'): string {
  const d = new Date(start);
  const y = d.getUTCFullYear();
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  if (unit === 'year') return String(y);
  if (unit === 'month') return `${y}-${m}`;
  if (unit === 'day') return d.toISOString().slice(0, 10);
  const monday = Date.UTC(y, d.getUTCMonth(), d.getUTCDate()) - ((d.getUTCDay() + 6) % 7) * DAY;
  return new Date(monday).toISOString().slice(0, 10);
}

function expected(unit: 'day' | 'week' | 'month' | 'year', keep: (r: Resource) => boolean = () => true) {
  const counts = new Map<string, number>();
  for (const r of resources.filter(keep) as Array<Resource & { effectiveDateTime?: string; effectivePeriod?: { start?: string } }>) {
    const start = r.effectiveDateTime ?? r.effectivePeriod?.start;
    if (!start) continue;
    const k = bucket(Date.parse(start.length === 7 ? `${start}-01T00:00:00Z` : start.length === 10 ? `${start}T00:00:00Z` : start), unit);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([value, count]) => ({ key: { value }, count })).sort((a, b) => b.count - a.count || (a.key.value < b.key.value ? -1 : 1));
}

describeEachEngine('engine aggregate by date bucket', (factory) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await factory.make();
    await put(engine, ...resources);
  });
  afterAll(async () => engine.close());

  for (const unit of ['day', 'week', 'month', 'year'] as const) {
    it(`counts per ${unit}`, async () => {
      const res = await engine.aggregate({ resourceTypes: ['Observation'], where: [], groupBy: { param: 'date', kind: 'date', bucket: unit } });
      expect(res.total).toBe(resources.length);
      expect(res.groups).toEqual(expected(unit));
    });
  }

  it('counts only the matches, and honours limit', async () => {
    const res = await engine.aggregate({ resourceTypes: ['Observation'], where: [{ kind: 'token', param: 'status', code: 'final' }], groupBy: { param: 'date', kind: 'date', bucket: 'month' }, limit: 2 });
    const want = expected('month', (r) => (r as { status?: string }).status === 'final');
    expect(res.groups).toEqual(want.slice(0, 2));
  });
});
