// Two servers over one store, as two server processes over one database would be: on MongoDB two
// engines (two driver clients) on one database, so each process's caches only learn of the other's
// writes through the database; on SQLite the one engine both share (one file has one writer).
import { randomBytes } from 'node:crypto';
import type { Engine } from '../../src/storage/engine';
import { MongoEngine } from '../../src/storage/mongo/mongo-engine';
import type { EngineFactory } from './engines';
import { makeTestServer, type TestServer } from './server';

export interface ServerPair {
  a: TestServer;
  b: TestServer;
  engineA: Engine;
  engineB: Engine;
  close(): Promise<void>;
}

/** Two engines over one store (see above); `close` closes both, B first. */
export async function makeEnginePair(factory: EngineFactory, prefix = 'nimbus_test_pair'): Promise<{ engineA: Engine; engineB: Engine; close(): Promise<void> }> {
  if (factory.name !== 'mongodb') {
    const engine = await factory.make();
    return { engineA: engine, engineB: engine, close: () => engine.close() };
  }
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  const engineA = await MongoEngine.open({ uri: process.env.MONGODB_URI!, database, dropOnClose: true });
  const engineB = await MongoEngine.open({ uri: process.env.MONGODB_URI!, database });
  return {
    engineA,
    engineB,
    close: async () => {
      // B first: A drops the test database when it closes.
      await engineB.close();
      await engineA.close();
    },
  };
}

export async function makeServerPair(factory: EngineFactory, env?: Record<string, string>): Promise<ServerPair> {
  const { engineA, engineB } = await makeEnginePair(factory);
  const a = await makeTestServer({ engine: engineA, env });
  const b = await makeTestServer({ engine: engineB, env });
  return {
    a,
    b,
    engineA,
    engineB,
    close: async () => {
      // B first: A's engine drops the test database when it closes.
      if (engineB !== engineA) await b.close();
      await a.close();
    },
  };
}
