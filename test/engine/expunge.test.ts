// Engine.expunge, the same expectations for every engine: it removes every version, the current
// one included, and the index values; its condition is decided against the current version (also
// against writes still pending in the same SQLite commit group); the id can be written afresh.
import { emptyIndexValues } from '../../src/search/index-values';
import type { Engine, VersionWrite } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { deletion, instant, version } from './versions';

const tokenIndex = (code: string) => ({ ...emptyIndexValues(), token: [{ p: 'code', c: code }] });

describeEachEngine('engine expunge', (factory) => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await factory.make();
  });
  afterEach(async () => {
    await engine.close();
  });
  const write = (v: VersionWrite) => engine.transaction((tx) => tx.write(v));
  const codes = async (code: string) =>
    (await engine.search({ resourceTypes: ['Basic'], where: [{ kind: 'token', param: 'code', code }], sort: [], count: 10, total: 'accurate', include: [], revinclude: [] })).total;

  it('removes every version and the index values; absent resources and unmet conditions remove nothing', async () => {
    await write(version('Basic', 'a', 1, 1, {}, tokenIndex('x')));
    await write(version('Basic', 'a', 2, 2, {}, tokenIndex('y')));
    await write(version('Basic', 'b', 1, 3, {}, tokenIndex('y')));
    expect(await engine.expunge('Basic', 'a', { deleted: true })).toBe(0);
    expect(await engine.expunge('Basic', 'missing')).toBe(0);
    expect(await engine.expunge('Basic', 'a')).toBe(2);
    expect(await engine.read('Basic', 'a')).toBeUndefined();
    expect(await engine.vread('Basic', 'a', 1)).toBeUndefined();
    expect((await engine.history({ resourceType: 'Basic', id: 'a', count: 10 })).versions).toEqual([]);
    expect((await engine.history({ resourceType: 'Basic', count: 10 })).versions.map((v) => v.id)).toEqual(['b']);
    expect(await codes('y')).toBe(1);
    expect((await engine.storedIndex('Basic', ['a', 'b'])).has('a')).toBe(false);
  });

  it('honours deletedBefore against the delete marker', async () => {
    await write(version('Basic', 'd', 1, 1));
    await write(deletion('Basic', 'd', 2, 10));
    expect(await engine.expunge('Basic', 'd', { deleted: true, deletedBefore: instant(10) })).toBe(0);
    expect(await engine.expunge('Basic', 'd', { deleted: true, deletedBefore: instant(11) })).toBe(2);
    expect(await engine.read('Basic', 'd')).toBeUndefined();
  });

  it('decides on writes of the same commit group, and a re-create afterwards starts afresh', async () => {
    await write(version('Basic', 'g', 1, 1, {}, tokenIndex('old')));
    const steps = [() => write(deletion('Basic', 'g', 2, 2)), () => engine.expunge('Basic', 'g', { deleted: true }), () => write(version('Basic', 'g', 1, 3, {}, tokenIndex('new')))];
    // SQLite: queued together, they share one commit group (in order), so the expunge decides on
    // the pending delete and the re-create on the pending expunge. MongoDB has no such queue: one
    // after the other.
    const results: unknown[] = [];
    if (factory.name === 'sqlite') results.push(...(await Promise.all(steps.map((s) => s()))));
    else for (const s of steps) results.push(await s());
    const removed = results[1];
    expect(removed).toBe(2);
    const current = await engine.read('Basic', 'g');
    expect(current).toMatchObject({ versionId: 1, deleted: false, lastUpdated: instant(3) });
    expect(await codes('old')).toBe(0);
    expect(await codes('new')).toBe(1);
    expect((await engine.history({ resourceType: 'Basic', id: 'g', count: 10 })).versions).toHaveLength(1);
  });
});
