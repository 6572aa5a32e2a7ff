// SQLite: rewriteCurrent and SystemStore writes are decided on the main thread against committed
// + pending state (docs/sqlite-writes.md). Queued in one tick, they land in one group whose
// earlier writes are not yet committed: each must see those pending writes, never a stale state.
import type { Resource } from '@medplum/fhirtypes';
import path from 'node:path';
import type { ResourceVersion, VersionWrite } from '../../../src/storage/engine';
import { SqliteEngine } from '../../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../../support/engines';
import { searchKit } from '../../search/support';
import { instant } from '../../engine/versions';

function versionOf(resource: Resource, versionId: number, at: number): VersionWrite {
  const lastUpdated = instant(at);
  const r = { ...resource, meta: { versionId: String(versionId), lastUpdated } } as Resource;
  return { resourceType: r.resourceType, id: r.id!, versionId, lastUpdated, deleted: false, json: JSON.stringify(r), index: searchKit().indexer(r) };
}

let engine: SqliteEngine;
beforeEach(() => {
  engine = new SqliteEngine({ file: path.join(tempDir(), 'nimbus.sqlite') });
});
afterEach(() => engine.close());

it('rewrites a version written earlier in the same uncommitted group, and later transactions see the rewrite', async () => {
  const v1 = versionOf({ resourceType: 'Patient', id: 'p1', gender: 'male' } as Resource, 1, 1);
  const tagged = versionOf({ resourceType: 'Patient', id: 'p1', gender: 'male', meta: {} } as Resource, 1, 1);
  const next: VersionWrite = { ...v1, json: JSON.stringify({ ...JSON.parse(v1.json!), meta: { ...JSON.parse(v1.json!).meta, tag: [{ code: 'x' }] } }), index: tagged.index };
  const expected: ResourceVersion = { resourceType: 'Patient', id: 'p1', versionId: 1, lastUpdated: v1.lastUpdated, deleted: false, json: v1.json };
  const [, rewritten, seen, v2] = await Promise.all([
    engine.transaction((tx) => tx.write(v1)),
    engine.rewriteCurrent(expected, next),
    engine.transaction((tx) => tx.read('Patient', 'p1')),
    // A version computed from what the transaction reads builds on the rewritten content.
    engine.transaction(async (tx) => {
      const current = await tx.read('Patient', 'p1');
      const v = versionOf({ resourceType: 'Patient', id: 'p1', gender: 'female' } as Resource, current!.versionId + 1, 2);
      await tx.write(v);
      return current;
    }),
  ]);
  expect(rewritten).toBe(true);
  expect(seen?.json).toBe(next.json);
  expect(v2?.json).toBe(next.json);
  expect((await engine.vread('Patient', 'p1', 1))?.json).toBe(next.json);
  expect((await engine.read('Patient', 'p1'))?.versionId).toBe(2);
});

it('refuses a rewrite queued behind a pending newer version', async () => {
  const v1 = versionOf({ resourceType: 'Patient', id: 'p1' } as Resource, 1, 1);
  await engine.transaction((tx) => tx.write(v1));
  const expected = (await engine.read('Patient', 'p1'))!;
  const [, rewritten] = await Promise.all([
    engine.transaction((tx) => tx.write(versionOf({ resourceType: 'Patient', id: 'p1', active: true } as Resource, 2, 2))),
    engine.rewriteCurrent(expected, { ...v1, json: v1.json!.replace('}', ',"active":false}') }),
  ]);
  expect(rewritten).toBe(false);
  expect((await engine.vread('Patient', 'p1', 1))?.json).toBe(v1.json);
});

it('decides SystemStore compare-and-set against pending writes of the same group', async () => {
  const results = await Promise.all([
    engine.system.insert('jobs', 'j', { n: 1 }),
    engine.system.insert('jobs', 'j', { n: 2 }),
    engine.system.replace('jobs', 'j', { n: 3 }, 1),
    engine.system.replace('jobs', 'j', { n: 4 }, 1),
    engine.system.delete('jobs', 'j', 2),
    engine.system.insert('jobs', 'j', { n: 5 }),
  ]);
  expect(results).toEqual([true, false, true, false, true, true]);
  expect(await engine.system.get('jobs', 'j')).toEqual({ key: 'j', rev: 1, value: { n: 5 } });
});
