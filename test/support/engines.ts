// The engines every engine-parameterised suite runs on: SQLite always, MongoDB whenever
// MONGODB_URI is set. A skipped engine is announced with its reason, never silently dropped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Engine } from '../../src/storage/engine';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';

export interface EngineFactory {
  name: 'sqlite' | 'mongodb';
  /** Why this engine does not run here; undefined when it runs. */
  skipReason?: string;
  /** A fresh, empty engine (own temp file / own database). */
  make(): Promise<Engine>;
}

export function tempDir(prefix = 'nimbus-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const sqliteFactory: EngineFactory = {
  name: 'sqlite',
  make: async () => new SqliteEngine({ file: path.join(tempDir(), 'nimbus.sqlite') }),
};

function mongoFactory(): EngineFactory {
  const uri = process.env.MONGODB_URI;
  if (!uri) return { name: 'mongodb', skipReason: 'MONGODB_URI is not set', make: () => Promise.reject(new Error('skipped')) };
  return {
    name: 'mongodb',
    make: async () => {
      // Loaded lazily so a machine without MongoDB never touches the driver.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require('./mongo-engine-factory') as { makeMongoTestEngine(uri: string): Promise<Engine> };
      return mod.makeMongoTestEngine(uri);
    },
  };
}

export function engineFactories(): EngineFactory[] {
  return [sqliteFactory, mongoFactory()];
}

/**
 * `describe` once per engine. A skipped engine gets a describe.skip whose title says why, plus a
 * console line, so a run that did not exercise MongoDB shows it.
 */
export function describeEachEngine(title: string, body: (factory: EngineFactory) => void): void {
  for (const f of engineFactories()) {
    if (f.skipReason) {
      // eslint-disable-next-line no-console
      console.log(`[engine ${f.name}] ${title}: SKIPPED — ${f.skipReason}`);
      describe.skip(`${title} [${f.name}] (skipped: ${f.skipReason})`, () => {
        it('is skipped', () => undefined);
      });
      continue;
    }
    describe(`${title} [${f.name}]`, () => body(f));
  }
}
