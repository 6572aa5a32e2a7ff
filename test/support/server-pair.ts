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

export async function makeServerPair(factory: EngineFactory, env?: Record<string, string>): Promise<ServerPair> {
  let engineA: Engine;
  let engineB: Engine;
  if (factory.name === 'mongodb') {
    const database = `nimbus_test_pair_${randomBytes(4).toString('hex')}`;
    engineA = await MongoEngine.open({ uri: process.env.MONGODB_URI!, database, dropOnClose: true });
    engineB = await MongoEngine.open({ uri: process.env.MONGODB_URI!, database });
  } else {
    engineA = await factory.make();
    engineB = engineA;
  }
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
