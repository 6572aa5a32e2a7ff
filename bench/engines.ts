// How each engine is set up for a run: its server environment, a fresh empty store, and the
// size of what it stored. MongoDB runs only when MONGODB_URI is set; otherwise the engine's
// section says so instead of disappearing from the output.
import fs from 'node:fs';
import path from 'node:path';
import type { EngineName } from './args';

export interface EngineSetup {
  name: EngineName;
  /** Why this engine is not measured in this run. */
  skipped?: string;
  /** Server environment for a store called `store` (a directory or a database name). */
  env(store: string): Record<string, string>;
  reset(store: string): Promise<void>;
  sizeOnDisk(store: string): Promise<number | undefined>;
  /** Where a store lives, for the table header. */
  describe(store: string): string;
}

function dirSize(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : fs.statSync(p).size;
  }
  return total;
}

export function sqliteSetup(workDir: string): EngineSetup {
  const dir = (store: string) => path.join(workDir, 'sqlite', store);
  return {
    name: 'sqlite',
    env: (store) => ({ NIMBUS_ENGINE: 'sqlite', NIMBUS_DATA_DIR: dir(store) }),
    reset: async (store) => {
      fs.rmSync(dir(store), { recursive: true, force: true });
      fs.mkdirSync(dir(store), { recursive: true });
    },
    // Database, WAL and shared-memory files together: the WAL can hold much of a fresh load.
    sizeOnDisk: async (store) => dirSize(dir(store)),
    describe: (store) => dir(store),
  };
}

export function mongoSetup(uri: string | undefined): EngineSetup {
  // Letters and digits only: FerretDB 1.24 (SQLite handler) panics on some names with '_'.
  const name = (store: string) => `nimbusbench${store.replace(/[^A-Za-z0-9]/g, '')}`;
  const withDb = async <T>(store: string, fn: (db: import('mongodb').Db) => Promise<T>): Promise<T> => {
    const { MongoClient } = await import('mongodb');
    const client = await MongoClient.connect(uri!, { serverSelectionTimeoutMS: 5000 });
    try {
      return await fn(client.db(name(store)));
    } finally {
      await client.close();
    }
  };
  return {
    name: 'mongodb',
    skipped: uri ? undefined : 'MONGODB_URI is not set (e.g. start FerretDB or MongoDB and export MONGODB_URI)',
    env: (store) => ({ NIMBUS_ENGINE: 'mongodb', MONGODB_URI: uri ?? '', NIMBUS_MONGODB_DATABASE: name(store) }),
    reset: (store) => withDb(store, async (db) => void (await db.dropDatabase())),
    sizeOnDisk: (store) =>
      withDb(store, async (db) => {
        const s = (await db.command({ dbStats: 1 })) as { storageSize?: number; indexSize?: number; totalSize?: number };
        return s.totalSize ?? (s.storageSize ?? 0) + (s.indexSize ?? 0);
      }).catch(() => undefined),
    describe: (store) => `${uri?.replace(/\/\/[^@/]*@/, '//…@')} db ${name(store)}`,
  };
}
