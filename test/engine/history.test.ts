// Engine conformance for history: instance, type and system levels, newest first, paged by an
// opaque cursor, `_since` and R4 `_at` (current at some point of the period).
import type { Engine, HistoryQuery } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { deletion, instant, version } from './versions';

describeEachEngine('engine history', (factory) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await factory.make();
    // t=1 Patient/a v1, t=2 Patient/b v1, t=3 Observation/o v1, t=4 Patient/a v2,
    // t=5 Patient/a deleted (v3), t=6 Observation/o v2
    const writes = [
      version('Patient', 'a', 1, 1, { gender: 'male' }),
      version('Patient', 'b', 1, 2),
      version('Observation', 'o', 1, 3, { status: 'preliminary' }),
      version('Patient', 'a', 2, 4, { gender: 'female' }),
      deletion('Patient', 'a', 3, 5),
      version('Observation', 'o', 2, 6, { status: 'final' }),
    ];
    for (const w of writes) await engine.transaction((tx) => tx.write(w));
  });
  afterAll(async () => {
    await engine.close();
  });

  const keys = async (q: Partial<HistoryQuery>) =>
    (await engine.history({ count: 100, ...q })).versions.map((v) => `${v.resourceType}/${v.id}/${v.versionId}${v.deleted ? 'x' : ''}`);

  it('lists the versions of one resource newest first, deletes included', async () => {
    expect(await keys({ resourceType: 'Patient', id: 'a' })).toEqual(['Patient/a/3x', 'Patient/a/2', 'Patient/a/1']);
    const page = await engine.history({ resourceType: 'Patient', id: 'a', count: 10 });
    expect(page.total).toBe(3);
    expect(page.versions[0].json).toBeUndefined();
    expect(JSON.parse(page.versions[1].json!).gender).toBe('female');
  });

  it('lists a type and the whole system newest first', async () => {
    expect(await keys({ resourceType: 'Patient' })).toEqual(['Patient/a/3x', 'Patient/a/2', 'Patient/b/1', 'Patient/a/1']);
    expect(await keys({})).toEqual(['Observation/o/2', 'Patient/a/3x', 'Patient/a/2', 'Observation/o/1', 'Patient/b/1', 'Patient/a/1']);
  });

  it('pages with a cursor without overlap or gap, and counts all pages', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await engine.history({ count: 4, ...(cursor ? { cursor } : {}) });
      expect(page.total).toBe(6);
      seen.push(...page.versions.map((v) => `${v.resourceType}/${v.id}/${v.versionId}`));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual(['Observation/o/2', 'Patient/a/3', 'Patient/a/2', 'Observation/o/1', 'Patient/b/1', 'Patient/a/1']);
  });

  it('says there is no next page when the last page is exactly full', async () => {
    const page = await engine.history({ resourceType: 'Patient', id: 'a', count: 3 });
    expect(page.versions).toHaveLength(3);
    expect(page.nextCursor).toBeUndefined();
  });

  it('filters by _since, inclusive', async () => {
    expect(await keys({ since: instant(4) })).toEqual(['Observation/o/2', 'Patient/a/3x', 'Patient/a/2']);
    expect((await engine.history({ since: instant(4), count: 1 })).total).toBe(3);
  });

  it('filters by _at: versions current at some point of the period', async () => {
    // At instant 4 exactly: Patient/a v2 (written at 4), Patient/b v1, Observation/o v1.
    expect(await keys({ at: { start: instant(4), end: new Date(Date.parse(instant(4)) + 1).toISOString() } })).toEqual([
      'Patient/a/2',
      'Observation/o/1',
      'Patient/b/1',
    ]);
    // During [2, 4): Patient/a v1, Patient/b v1, Observation/o v1.
    expect(await keys({ resourceType: 'Patient', at: { start: instant(2), end: instant(4) } })).toEqual(['Patient/b/1', 'Patient/a/1']);
  });
});
