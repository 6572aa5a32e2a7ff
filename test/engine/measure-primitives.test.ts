// Engine conformance for what measures and component statistics add to the contract: numericStats
// over durations between two date parameters of a resource and over the quantity components of a
// composite, the `followed` predicate (a resource followed by another of the same target
// within a window) and the `latest` predicate (the most recent of a target's resources satisfies
// a condition: CMS165's most recent blood pressure) — the same on every engine, checked against
// brute force written here.
import type { Encounter, Observation, Patient, Resource, Task } from '@medplum/fhirtypes';
import type { Engine } from '../../src/storage/engine';
import type { Predicate } from '../../src/search/plan';
import { describeEachEngine } from '../support/engines';
import { put } from '../search/support';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Tasks: authored → last modified, hours apart (one without lastModified has no duration).
const hours = [5, 1, 30.5, 2, 2, 12, 0.25];
const tasks: Task[] = hours.map((h, i) => ({
  resourceType: 'Task',
  id: `t${i}`,
  status: i % 2 ? 'completed' : 'failed',
  intent: 'order',
  authoredOn: new Date(Date.UTC(2025, 0, 1 + i, 8)).toISOString(),
  lastModified: new Date(Date.UTC(2025, 0, 1 + i, 8) + h * HOUR).toISOString(),
}));
tasks.push({ resourceType: 'Task', id: 'open', status: 'requested', intent: 'order', authoredOn: '2025-02-01T00:00:00Z' });

const LOINC = 'http://loinc.org';
const bp = (id: string, systolic: number, diastolic: number): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  component: [
    { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: systolic, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: diastolic, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
  ],
});
const panels = [bp('bp1', 120, 80), bp('bp2', 150, 95), bp('bp3', 131, 85), bp('bp4', 118, 70)];

// Encounters of two patients; `followed`: another one of the same patient starting 1..10 days later.
const visit = (id: string, patient: string, start: string, cls = 'IMP'): Encounter => ({ resourceType: 'Encounter', id, status: 'finished', class: { code: cls }, subject: { reference: `Patient/${patient}` }, period: { start, end: start } });
const visits = [
  visit('e1', 'a', '2025-01-01T00:00:00Z'),
  visit('e2', 'a', '2025-01-05T00:00:00Z'),
  visit('e3', 'a', '2025-01-15T00:00:00Z'), // exactly 10 days after e2
  visit('e4', 'a', '2025-03-01T00:00:00Z'),
  visit('e5', 'b', '2025-03-02T00:00:00Z'), // another patient: does not follow e4
  visit('e6', 'a', '2025-03-03T00:00:00Z', 'AMB'), // not a follow-up (class), but is itself followed? no later IMP
];

// `latest`: readings of code X (and one of another code) of five patients; ties on the date are
// decided by id descending, a reading without a date is the least recent, a reading of a Group is
// another target. The condition checked on the most recent: status final.
const people: Patient[] = ['pa', 'pb', 'pc', 'pd', 'pe'].map((id) => ({ resourceType: 'Patient', id }));
const reading = (id: string, subject: string, code: string, status: 'final' | 'amended', at?: string): Observation => ({
  resourceType: 'Observation',
  id,
  status,
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: subject },
  ...(at ? { effectiveDateTime: at } : {}),
});
const readings = [
  reading('ra1', 'Patient/pa', 'X', 'amended', '2025-01-01T00:00:00Z'),
  reading('ra2', 'Patient/pa', 'X', 'final', '2025-02-01T00:00:00Z'), // pa: most recent, final
  reading('ra3', 'Patient/pa', 'Y', 'amended', '2025-03-01T00:00:00Z'), // later, but not a candidate
  reading('rb1', 'Patient/pb', 'X', 'final', '2025-01-01T00:00:00Z'),
  reading('rb2', 'Patient/pb', 'X', 'amended', '2025-04-01T00:00:00Z'), // pb: most recent, amended
  reading('rc1', 'Patient/pc', 'X', 'amended', '2025-05-01T00:00:00Z'),
  reading('rc2', 'Patient/pc', 'X', 'final', '2025-05-01T00:00:00Z'), // pc: same date, greater id wins
  reading('rd1', 'Patient/pd', 'X', 'final'), // pd: no date, least recent
  reading('rd2', 'Patient/pd', 'X', 'amended', '2024-01-01T00:00:00Z'),
  reading('re1', 'Patient/pe', 'X', 'final'), // pe: only an undated reading: it is the most recent
  reading('rg1', 'Group/g1', 'X', 'final', '2025-06-01T00:00:00Z'),
];

function r7(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

describeEachEngine('engine measure primitives', (factory) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await factory.make();
    await put(engine, ...([...tasks, ...panels, ...visits, ...people, ...readings] as Resource[]));
  });
  afterAll(async () => engine.close());

  it('numericStats over durations between two date parameters', async () => {
    const stats = await engine.numericStats({ resourceType: 'Task', where: [], param: 'modified', kind: 'number', duration: { from: 'authored-on', to: 'modified' }, percentiles: [0.5, 0.9] });
    const ms = hours.map((h) => h * HOUR);
    expect(stats).toMatchObject({ resources: tasks.length, count: ms.length, sum: ms.reduce((a, b) => a + b, 0), min: Math.min(...ms), max: Math.max(...ms) });
    expect(stats.percentiles[0]).toBeCloseTo(r7(ms, 0.5), 6);
    expect(stats.percentiles[1]).toBeCloseTo(r7(ms, 0.9), 6);
    const failed = await engine.numericStats({ resourceType: 'Task', where: [{ kind: 'token', param: 'status', code: 'failed' }], param: 'modified', kind: 'number', duration: { from: 'authored-on', to: 'modified' }, percentiles: [0.5] });
    const failedMs = hours.filter((_, i) => i % 2 === 0).map((h) => h * HOUR);
    expect([failed.count, failed.percentiles[0]]).toEqual([failedMs.length, r7(failedMs, 0.5)]);
  });

  it('numericStats over the quantity components of one code', async () => {
    for (const [code, index] of [['8480-6', 0], ['8462-4', 1]] as const) {
      const values = panels.map((o) => o.component![index].valueQuantity!.value!);
      const stats = await engine.numericStats({ resourceType: 'Observation', where: [], param: 'component-code-value-quantity', kind: 'quantity', component: { system: LOINC, code }, unit: { system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }, percentiles: [0.5] });
      expect([stats.count, stats.sum, stats.min, stats.max, stats.percentiles[0]]).toEqual([values.length, values.reduce((a, b) => a + b, 0), Math.min(...values), Math.max(...values), r7(values, 0.5)]);
    }
    const none = await engine.numericStats({ resourceType: 'Observation', where: [], param: 'component-code-value-quantity', kind: 'quantity', component: { system: LOINC, code: '8480-6' }, unit: { code: 'kg' }, percentiles: [] });
    expect(none.count).toBe(0);
  });

  it('followed: resources followed by another of the same target within a window', async () => {
    const followed = (where: Predicate[]): Predicate => ({ kind: 'followed', sourceType: 'Encounter', per: 'subject', from: 'date', to: 'date', withinMs: 10 * DAY, where });
    const ids = async (where: Predicate[]) => (await engine.search({ resourceTypes: ['Encounter'], where, sort: [{ param: '_id', descending: false }], count: 100, total: 'accurate', include: [], revinclude: [] })).matches.map((m) => m.id);
    // Brute force: start of another visit of the same patient (of the follow-up kind) in (start, start + 10 d].
    const expected = (kind: (e: Encounter) => boolean) =>
      visits
        .filter((e) => visits.some((f) => f !== e && kind(f) && f.subject!.reference === e.subject!.reference && Date.parse(f.period!.start!) > Date.parse(e.period!.start!) && Date.parse(f.period!.start!) <= Date.parse(e.period!.start!) + 10 * DAY))
        .map((e) => e.id)
        .sort();
    expect(await ids([followed([])])).toEqual(expected(() => true));
    expect(await ids([followed([{ kind: 'token', param: 'class', code: 'IMP' }])])).toEqual(expected((e) => e.class.code === 'IMP'));
    expect(await ids([followed([{ kind: 'token', param: 'class', code: 'IMP' }])])).toEqual(['e1', 'e2']);
    expect(await ids([{ kind: 'not', predicate: followed([]) }])).toEqual(visits.map((e) => e.id).filter((id) => !expected(() => true).includes(id)).sort());
  });

  it('latest: the most recent of a target\'s resources satisfies a condition', async () => {
    const code = (c: string): Predicate => ({ kind: 'token', param: 'code', system: LOINC, code: c });
    const status = (c: string): Predicate => ({ kind: 'token', param: 'status', code: c });
    const latest = (among: Predicate[], where: Predicate[]): Predicate => ({ kind: 'latest', sourceType: 'Observation', per: 'subject', by: 'date', among, where });
    const ids = async (type: string, where: Predicate[]) => (await engine.search({ resourceTypes: [type], where, sort: [{ param: '_id', descending: false }], count: 100, total: 'accurate', include: [], revinclude: [] })).matches.map((m) => m.id);
    // Brute force: each target's candidates in $lastn order (date descending, undated last, id descending).
    const expected = (type: string, among: (o: Observation) => boolean, where: (o: Observation) => boolean) => {
      const targets = [...new Set(readings.map((o) => o.subject!.reference!))].filter((r) => r.startsWith(`${type}/`));
      const at = (o: Observation) => (o.effectiveDateTime ? Date.parse(o.effectiveDateTime) : -Infinity);
      return targets
        .filter((t) => {
          const [first] = readings.filter((o) => o.subject!.reference === t && among(o)).sort((a, b) => at(b) - at(a) || (a.id! < b.id! ? 1 : -1));
          return first !== undefined && where(first);
        })
        .map((t) => t.split('/')[1])
        .sort();
    };
    const isX = (o: Observation) => o.code.coding![0].code === 'X';
    expect(await ids('Patient', [latest([code('X')], [status('final')])])).toEqual(expected('Patient', isX, (o) => o.status === 'final'));
    expect(await ids('Patient', [latest([code('X')], [status('final')])])).toEqual(['pa', 'pc', 'pe']);
    expect(await ids('Patient', [latest([code('X')], [status('amended')])])).toEqual(expected('Patient', isX, (o) => o.status === 'amended'));
    expect(await ids('Patient', [latest([], [status('amended')])])).toEqual(expected('Patient', () => true, (o) => o.status === 'amended'));
    expect(await ids('Patient', [latest([code('Y')], [])])).toEqual(['pa']);
    expect(await ids('Group', [latest([code('X')], [status('final')])])).toEqual([]); // g1 is referenced but not stored
    expect(await ids('Patient', [{ kind: 'not', predicate: latest([code('X')], [status('final')]) }])).toEqual(['pb', 'pd']);
  });
});
