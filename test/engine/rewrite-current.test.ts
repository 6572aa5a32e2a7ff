// Engine conformance: rewriteCurrent replaces the current version's content and index values in
// place ($reindex, $meta-add/$meta-delete) — no new version — and only while that version is still
// what the caller read.
import type { Resource } from '@medplum/fhirtypes';
import type { Engine, ResourceVersion, VersionWrite } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { ids, put, remove, searchKit } from '../search/support';

/** The current version with new content (meta.versionId/lastUpdated kept) and its index values. */
function rewritten(current: ResourceVersion, change: (r: Resource) => Resource): VersionWrite {
  const resource = change(JSON.parse(current.json!) as Resource);
  return { ...current, json: JSON.stringify(resource), index: searchKit().indexer(resource) };
}

const tagged = (code: string) => (r: Resource): Resource => ({ ...r, meta: { ...r.meta, tag: [...(r.meta?.tag ?? []), { system: 'urn:tags', code }] } });

describeEachEngine('engine rewriteCurrent', (factory) => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await factory.make();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('replaces content and index values of the current version, keeping its versionId and lastUpdated', async () => {
    await put(engine, { resourceType: 'Patient', id: 'p1', gender: 'male' } as Resource);
    await put(engine, { resourceType: 'Patient', id: 'p1', gender: 'female' } as Resource);
    const v2 = (await engine.read('Patient', 'p1'))!;
    const v1 = (await engine.vread('Patient', 'p1', 1))!;
    const next = rewritten(v2, tagged('vip'));

    expect(await engine.rewriteCurrent(v2, next)).toBe(true);
    const read = await engine.read('Patient', 'p1');
    expect(read).toEqual({ resourceType: 'Patient', id: 'p1', versionId: 2, lastUpdated: v2.lastUpdated, deleted: false, json: next.json });
    expect((await engine.vread('Patient', 'p1', 2))?.json).toBe(next.json);
    expect(await engine.vread('Patient', 'p1', 1)).toEqual(v1);
    const history = await engine.history({ resourceType: 'Patient', id: 'p1', count: 10 });
    expect(history.total).toBe(2);
    expect(history.versions.map((v) => [v.versionId, v.json])).toEqual([[2, next.json], [1, v1.json]]);
    // The new index values are searchable, the old ones replaced.
    expect(await ids(engine, 'Patient', '_tag=urn:tags|vip')).toEqual(['p1']);
    expect(await ids(engine, 'Patient', 'gender=female')).toEqual(['p1']);

    // The next version supersedes the rewritten one, which history keeps as rewritten.
    await put(engine, { resourceType: 'Patient', id: 'p1', gender: 'other' } as Resource);
    expect((await engine.vread('Patient', 'p1', 2))?.json).toBe(next.json);
    expect(await ids(engine, 'Patient', '_tag=urn:tags|vip')).toEqual([]);
  });

  it('rewrites the index values alone when the content stays the same ($reindex)', async () => {
    await put(engine, { resourceType: 'Patient', id: 'p1', gender: 'male' } as Resource);
    const current = (await engine.read('Patient', 'p1'))!;
    // Stored as if indexed by an older server that knew fewer parameters: nothing for gender.
    const stale = searchKit().indexer(JSON.parse(current.json!));
    stale.token = stale.token.filter((t) => t.p !== 'gender');
    expect(await engine.rewriteCurrent(current, { ...current, index: stale })).toBe(true);
    expect(await ids(engine, 'Patient', 'gender=male')).toEqual([]);
    expect(await engine.rewriteCurrent(current, { ...current, index: searchKit().indexer(JSON.parse(current.json!)) })).toBe(true);
    expect(await ids(engine, 'Patient', 'gender=male')).toEqual(['p1']);
    expect(await engine.read('Patient', 'p1')).toEqual(current);
  });

  it('refuses, writing nothing, when the current version is no longer the expected one', async () => {
    await put(engine, { resourceType: 'Patient', id: 'p1', gender: 'male' } as Resource);
    const v1 = (await engine.read('Patient', 'p1'))!;
    await put(engine, { resourceType: 'Patient', id: 'p1', gender: 'female' } as Resource);
    const v2 = (await engine.read('Patient', 'p1'))!;
    // A newer version exists.
    expect(await engine.rewriteCurrent(v1, rewritten(v1, tagged('late')))).toBe(false);
    // Same versionId, other text (someone rewrote it meanwhile).
    const first = rewritten(v2, tagged('first'));
    expect(await engine.rewriteCurrent(v2, first)).toBe(true);
    expect(await engine.rewriteCurrent(v2, rewritten(v2, tagged('second')))).toBe(false);
    expect((await engine.read('Patient', 'p1'))?.json).toBe(first.json);
    expect(await ids(engine, 'Patient', '_tag=second')).toEqual([]);
    // Deleted since.
    await remove(engine, 'Patient', 'p1');
    const asFirst = { ...v2, json: first.json };
    expect(await engine.rewriteCurrent(asFirst, rewritten(asFirst, tagged('gone')))).toBe(false);
    expect((await engine.read('Patient', 'p1'))?.deleted).toBe(true);
    // Never written.
    expect(await engine.rewriteCurrent({ ...v1, id: 'nope' }, rewritten({ ...v1, id: 'nope' }, tagged('x')))).toBe(false);
  });

  it('lets exactly one of concurrent rewrites of one version win', async () => {
    await put(engine, { resourceType: 'Patient', id: 'p1' } as Resource);
    const current = (await engine.read('Patient', 'p1'))!;
    const attempts = Array.from({ length: 8 }, (_, i) => rewritten(current, tagged(`t${i}`)));
    const results = await Promise.all(attempts.map((next) => engine.rewriteCurrent(current, next)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = attempts[results.indexOf(true)];
    expect((await engine.read('Patient', 'p1'))?.json).toBe(winner.json);
    expect((await engine.vread('Patient', 'p1', 1))?.json).toBe(winner.json);
  });

  it('refuses arguments that do not describe one live version', async () => {
    await put(engine, { resourceType: 'Patient', id: 'p1' } as Resource);
    const current = (await engine.read('Patient', 'p1'))!;
    await expect(engine.rewriteCurrent(current, { ...current, versionId: 2 })).rejects.toThrow(/versionId/);
    await expect(engine.rewriteCurrent(current, { ...current, lastUpdated: '2031-01-01T00:00:00.000Z' })).rejects.toThrow(/lastUpdated/);
    await expect(engine.rewriteCurrent(current, { ...current, deleted: true, json: undefined })).rejects.toThrow(/delete/);
  });
});
