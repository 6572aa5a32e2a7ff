// The SQLite engine's writer thread and pipelined group commit (group-commit.ts): what a caller
// can observe when the writer thread, not the transaction, fails; searches inside a transaction
// running on the writer thread; and a close that still answers every queued transaction.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FhirError } from '../../src/fhir/errors';
import { emptyIndexValues, type IndexValues } from '../../src/search/index-values';
import type { SearchPlan } from '../../src/search/plan';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { version } from './versions';

let dir: string;
let engine: SqliteEngine;
const file = () => path.join(dir, 'nimbus.sqlite');

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-writer-'));
  engine = new SqliteEngine({ file: file() });
});
afterEach(async () => {
  await engine.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Index values the writer thread cannot store (a string row without its value violates NOT NULL):
 * stands in for any failure that only the database can report, like a full disk. */
function unstorable(): IndexValues {
  return { ...emptyIndexValues(), string: [{ p: 'name', v: null as unknown as string, e: 'x' }] };
}

function plan(where: SearchPlan['where']): SearchPlan {
  return { resourceTypes: ['Patient'], where, sort: [], count: 10, total: 'none', include: [], revinclude: [] };
}

it('fails the whole group when the writer thread fails, stores nothing of it, and goes on', async () => {
  await engine.transaction((tx) => tx.write(version('Patient', 'kept', 1, 1)));
  const [broken, sameGroup] = await Promise.allSettled([
    engine.transaction((tx) => tx.write(version('Patient', 'broken', 1, 2, {}, unstorable()))),
    engine.transaction(async (tx) => {
      await tx.write(version('Patient', 'kept', 2, 3, { active: true }));
      await tx.write(version('Patient', 'neighbour', 1, 3));
    }),
  ]);
  expect(broken.status).toBe('rejected');
  expect(String((broken as PromiseRejectedResult).reason)).toMatch(/NOT NULL/);
  // Both were committed together, so neither is acknowledged; the caller sees a failure, never a
  // write that silently did not happen.
  expect(sameGroup.status).toBe('rejected');
  expect(await engine.read('Patient', 'broken')).toBeUndefined();
  expect(await engine.read('Patient', 'neighbour')).toBeUndefined();
  expect((await engine.read('Patient', 'kept'))?.versionId).toBe(1);
  expect(engine.writeStatistics()).toMatchObject({ failedGroups: 1, queued: 0 });

  // The writer recovers: the next transaction sees the committed state (version 1), not the
  // failed group's version 2, and writes version 2 itself.
  const next = await engine.transaction(async (tx) => {
    const current = await tx.read('Patient', 'kept');
    await tx.write(version('Patient', 'kept', current!.versionId + 1, 4, { active: false }));
    return current!.versionId;
  });
  expect(next).toBe(1);
  expect((await engine.read('Patient', 'kept'))?.versionId).toBe(2);
  expect(JSON.parse((await engine.vread('Patient', 'kept', 2))!.json!).active).toBe(false);
});

it('never builds on a failed write: a transaction queued right behind it fails too or starts from the committed state', async () => {
  // Whether the second transaction is prepared before or after the writer thread reports the
  // failure depends on timing; both interleavings occur over these rounds. Either way it must not
  // store version 2 on top of a version 1 that never committed.
  const outcomes = new Set<string>();
  for (let round = 0; round < 30; round++) {
    const id = `x${round}`;
    let behind: Promise<number> | undefined;
    const failing = engine.transaction(async (tx) => {
      await tx.write(version('Patient', id, 1, 1, {}, unstorable()));
      setImmediate(() => {
        behind = engine.transaction(async (tx2) => {
          const next = ((await tx2.read('Patient', id))?.versionId ?? 0) + 1;
          await tx2.write(version('Patient', id, next, 2));
          return next;
        });
      });
    });
    await expect(failing).rejects.toThrow(/NOT NULL/);
    while (!behind) await new Promise<void>((resolve) => setImmediate(resolve));
    const written = await behind.then(
      (v) => v,
      () => undefined,
    );
    const stored = await engine.read('Patient', id);
    if (written === undefined) expect(stored).toBeUndefined();
    else {
      expect(written).toBe(1);
      expect(stored?.versionId).toBe(1);
    }
    outcomes.add(written === undefined ? 'failed with it' : 'started after it');
  }
  // The engine keeps working afterwards.
  await engine.transaction((tx) => tx.write(version('Patient', 'after', 1, 3)));
  expect((await engine.read('Patient', 'after'))?.versionId).toBe(1);
  console.log(`transactions queued behind a failed write: ${[...outcomes].join(', ')}`);
});

it('answers a search inside a transaction with its own writes, and a query too large for SQLite with a 400', async () => {
  const nested = (depth: number): SearchPlan['where'][number] => (depth === 0 ? { kind: 'id', ids: ['p1'] } : { kind: 'not', predicate: nested(depth - 1) });
  const outcome = await engine.transaction(async (tx) => {
    await tx.write(version('Patient', 'p1', 1, 1));
    const own = await tx.search(plan([{ kind: 'id', ids: ['p1'] }]));
    const tooLarge = await tx.search(plan([nested(3000)])).catch((e: unknown) => e);
    return { own: own.matches.map((m) => m.id), tooLarge };
  });
  expect(outcome.own).toEqual(['p1']);
  expect(outcome.tooLarge).toBeInstanceOf(FhirError);
  expect((outcome.tooLarge as FhirError).status).toBe(400);
  // The failed read did not spoil the transaction's write.
  expect((await engine.read('Patient', 'p1'))?.versionId).toBe(1);
});

it('answers every queued transaction before close, and they are durable', async () => {
  const writes = Array.from({ length: 40 }, (_, i) => engine.transaction((tx) => tx.write(version('Patient', `q${i}`, 1, i))));
  const closing = engine.close();
  await expect(Promise.all(writes)).resolves.toHaveLength(40);
  await closing;
  // The writer closed last, so the WAL was checkpointed into the one database file.
  expect(fs.existsSync(`${file()}-wal`)).toBe(false);
  await expect(engine.transaction(async () => undefined)).rejects.toThrow(/closed/);
  engine = new SqliteEngine({ file: file() });
  const found = await Promise.all(Array.from({ length: 40 }, (_, i) => engine.read('Patient', `q${i}`)));
  expect(found.every((v) => v?.versionId === 1)).toBe(true);
});
