// The standalone benches (near, work queues, booking, $find, feedback) measure each engine in
// turn: SQLite always, MongoDB when MONGODB_URI names a server. One helper opens and removes the
// throw-away stores, so every script measures the same way and cleans up after itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../src/storage/engine';
import { MongoEngine } from '../src/storage/mongo/mongo-engine';
import { SqliteEngine } from '../src/storage/sqlite/sqlite-engine';

export type BenchEngineName = 'sqlite' | 'mongodb';

/** Runs `run` once per engine name (the script opens its own store, e.g. a whole server). */
export async function forEachEngineName(run: (name: BenchEngineName) => Promise<void>): Promise<void> {
  await run('sqlite');
  if (process.env.MONGODB_URI) await run('mongodb');
}

/** Runs `run` on a fresh SQLite file and, with MONGODB_URI, a fresh MongoDB database named after
 * `label`; both are removed afterwards. */
export async function forEachEngine(label: string, run: (name: BenchEngineName, engine: Engine) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nimbus-${label}-bench-`));
  const sqlite = new SqliteEngine({ file: path.join(dir, `${label}.sqlite`) });
  try {
    await run('sqlite', sqlite);
  } finally {
    await sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!process.env.MONGODB_URI) return;
  const mongo = await MongoEngine.open({ uri: process.env.MONGODB_URI, database: `nimbus_${label}_bench_${process.pid}`, dropOnClose: true });
  try {
    await run('mongodb', mongo);
  } finally {
    await mongo.close();
  }
}
