// Engine conformance: scanPage walks the current versions of a type in a stable order, one page
// per call, resumable from the opaque cursor — what long jobs ($reindex, $export) checkpoint.
import type { Resource } from '@medplum/fhirtypes';
import type { Engine, ScanPageQuery } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { put, remove } from '../search/support';

async function walk(engine: Engine, query: Omit<ScanPageQuery, 'after'>, between?: (page: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await engine.scanPage({ ...query, ...(after !== undefined ? { after } : {}) });
    expect(res.versions.length).toBeLessThanOrEqual(query.limit);
    seen.push(...res.versions.map((v) => `${v.id}${v.deleted ? '(deleted)' : ''}`));
    if (!res.next) return seen;
    after = res.next;
    await between?.(page);
  }
  throw new Error('scanPage did not end');
}

describeEachEngine('engine scanPage', (factory) => {
  let engine: Engine;
  const patients = Array.from({ length: 23 }, (_, i) => `p${String(i).padStart(2, '0')}`);
  beforeEach(async () => {
    engine = await factory.make();
    await put(engine, ...patients.map((id) => ({ resourceType: 'Patient', id, active: true }) as Resource));
    await put(engine, { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' } } as Resource);
  });
  afterEach(async () => {
    await engine.close();
  });

  it('pages through every live resource of the type exactly once', async () => {
    const seen = await walk(engine, { resourceType: 'Patient', limit: 5 });
    expect(seen.sort()).toEqual(patients);
    const versions = (await engine.scanPage({ resourceType: 'Patient', limit: 100 })).versions;
    expect(versions).toHaveLength(23);
    expect(versions[0]).toEqual(await engine.read('Patient', versions[0].id));
    // An exact multiple of the page size ends without an empty page.
    const exact = await engine.scanPage({ resourceType: 'Patient', limit: 23 });
    expect(exact.versions).toHaveLength(23);
    expect(exact.next).toBeUndefined();
    expect((await engine.scanPage({ resourceType: 'Encounter', limit: 5 })).versions).toEqual([]);
  });

  it('includes delete markers only when asked, and filters by since', async () => {
    await remove(engine, 'Patient', 'p03');
    expect(await walk(engine, { resourceType: 'Patient', limit: 4 })).not.toContain('p03');
    const all = await walk(engine, { resourceType: 'Patient', limit: 4, includeDeleted: true });
    expect(all).toContain('p03(deleted)');
    expect(all).toHaveLength(23);
    const deleted = (await engine.read('Patient', 'p03'))!;
    expect(await walk(engine, { resourceType: 'Patient', limit: 4, since: deleted.lastUpdated, includeDeleted: true })).toEqual(['p03(deleted)']);
    const p22 = (await engine.read('Patient', 'p22'))!;
    expect((await walk(engine, { resourceType: 'Patient', limit: 4, since: p22.lastUpdated })).sort()).toEqual(['p22']);
  });

  it('resumes from a cursor after the resources changed, still meeting each one once', async () => {
    const seen = await walk(engine, { resourceType: 'Patient', limit: 4 }, async (page) => {
      // Between pages, resources already seen and not yet seen are updated.
      await put(engine, { resourceType: 'Patient', id: patients[page], active: false } as Resource);
      await put(engine, { resourceType: 'Patient', id: patients[22 - page], active: false } as Resource);
    });
    expect(seen.sort()).toEqual(patients);
  });

  it('refuses a cursor it did not issue', async () => {
    await expect(engine.scanPage({ resourceType: 'Patient', limit: 5, after: 'not-a-cursor' })).rejects.toThrow(/cursor/);
    await expect(engine.scanPage({ resourceType: 'Patient', limit: 0 })).rejects.toThrow(/limit/);
  });
});
