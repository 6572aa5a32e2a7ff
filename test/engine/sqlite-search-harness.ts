// The SQLite engine as the search suite needs it. While the engine's index seam
// (src/storage/sqlite/index-store.ts) is still the placeholder that stores nothing, the suite runs
// on this minimal Engine over the same schema (migrations) and the same SqliteSearchIndex, so the
// search code under test is exactly what the engine will call. Once the seam delegates to
// SqliteSearchIndex, `makeSqliteSearchEngine` returns the real engine.
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Engine, EngineTransaction, ResourceVersion, VersionWrite } from '../../src/storage/engine';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { migrate } from '../../src/storage/sqlite/migrations';
import { SqliteSearchIndex } from '../../src/storage/sqlite/search/execute';
import { tempDir } from '../support/engines';

interface Row {
  rid: number;
  type: string;
  id: string;
  version: number;
  last_updated: string;
  deleted: number;
  json: string | null;
}

const toVersion = (r: Row): ResourceVersion => ({
  resourceType: r.type,
  id: r.id,
  versionId: r.version,
  lastUpdated: r.last_updated,
  deleted: r.deleted === 1,
  ...(r.json !== null ? { json: r.json } : {}),
});

function harnessEngine(file: string): Engine {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  migrate(db);
  const index = new SqliteSearchIndex(db);
  const read = async (type: string, id: string) => {
    const row = db.prepare('SELECT * FROM resources WHERE type = ? AND id = ?').get(type, id) as Row | undefined;
    return row && toVersion(row);
  };
  const write = async (v: VersionWrite) => {
    const row = { type: v.resourceType, id: v.id, version: v.versionId, last_updated: v.lastUpdated, deleted: v.deleted ? 1 : 0, json: v.deleted ? null : (v.json ?? null) };
    const existing = db.prepare('SELECT rid FROM resources WHERE type = ? AND id = ?').get(v.resourceType, v.id) as { rid: number } | undefined;
    let rid: number;
    if (existing) {
      rid = existing.rid;
      db.prepare('UPDATE resources SET version = @version, last_updated = @last_updated, deleted = @deleted, json = @json WHERE rid = @rid').run({ ...row, rid });
    } else rid = Number(db.prepare('INSERT INTO resources (type, id, version, last_updated, deleted, json) VALUES (@type, @id, @version, @last_updated, @deleted, @json)').run(row).lastInsertRowid);
    index.replace(rid, v.deleted ? undefined : v.index);
  };
  const search = async (plan: Parameters<Engine['search']>[0]) => index.search(plan);
  let queue = Promise.resolve();
  return {
    kind: 'sqlite',
    location: file,
    atomicTransactions: true,
    read,
    vread: async () => undefined,
    search,
    transaction: async <T>(fn: (tx: EngineTransaction) => Promise<T>) => {
      const run = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const out = await fn({ read, vread: async () => undefined, search, write });
          db.exec('COMMIT');
          return out;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      });
      queue = run.then(() => undefined, () => undefined);
      return run;
    },
    history: async () => ({ versions: [], total: 0 }),
    scan: async function* () {},
    ping: async () => undefined,
    close: async () => db.close(),
  };
}

/** Real engine when its search is wired, otherwise the harness (see header). */
export async function makeSqliteSearchEngine(): Promise<Engine> {
  const file = path.join(tempDir('nimbus-search-'), 'nimbus.sqlite');
  const real = new SqliteEngine({ file });
  try {
    await real.search({ resourceTypes: ['Patient'], where: [], sort: [], count: 1, total: 'none', include: [], revinclude: [] });
    return real;
  } catch {
    await real.close();
    return harnessEngine(path.join(tempDir('nimbus-search-'), 'nimbus.sqlite'));
  }
}
