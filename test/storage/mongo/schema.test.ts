// MongoDB schema versions and migrations: any number of engines opening one database at once run
// each pending migration exactly once (under the database's migration lock, the others waiting
// with a log line), a database of an older release is brought up to date with its data, and a
// newer one is refused. Engines opened concurrently in one process stand for processes: each
// has its own client, connection pool and lock holder.
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { MongoEngine } from '../../../src/storage/mongo/mongo-engine';
import { MONGO_MIGRATIONS, type MongoMigration } from '../../../src/storage/mongo/schema';
import { version } from '../../engine/versions';

const uri = process.env.MONGODB_URI;
const describeWithServer = uri ? describe : describe.skip;
if (!uri) {
  // eslint-disable-next-line no-console
  console.log('[engine mongodb] schema migrations: SKIPPED — MONGODB_URI is not set');
}

describeWithServer('MongoDB schema migrations', () => {
  let client: MongoClient;
  const databases: string[] = [];
  const fresh = () => {
    const name = `nimbus_test_schema_${randomBytes(4).toString('hex')}`;
    databases.push(name);
    return name;
  };
  beforeAll(async () => {
    client = await MongoClient.connect(uri!);
  });
  afterAll(async () => {
    for (const d of databases) await client.db(d).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('runs a pending migration once while every other process starting at the same moment waits for it', async () => {
    const database = fresh();
    const runs: number[] = [];
    let inside = 0;
    const slow: MongoMigration = {
      version: MONGO_MIGRATIONS.length + 1,
      description: 'a migration that must not run twice at once',
      run: async (db) => {
        inside++;
        runs.push(inside);
        await db.collection('migrated').insertOne({ at: new Date() });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        inside--;
      },
    };
    const log: string[] = [];
    const open = (i: number) =>
      MongoEngine.open({ uri: uri!, database, schema: { migrations: [...MONGO_MIGRATIONS, slow], log: (m) => log.push(`${i}: ${m}`) } });
    const engines = await Promise.all([0, 1, 2, 3].map(open));
    try {
      expect(runs).toEqual([1]);
      expect(await client.db(database).collection('migrated').countDocuments()).toBe(1);
      expect(await client.db(database).collection('nimbus_meta').findOne({ _id: 'schema' as never })).toMatchObject({ version: slow.version });
      expect(log.filter((l) => l.includes('migrating the database schema to version'))).toHaveLength(MONGO_MIGRATIONS.length + 1);
      // The others said whom they were waiting for.
      expect(log.some((l) => new RegExp(`waiting \\d+ s for .+/${process.pid} to migrate the database schema to version ${slow.version}`).test(l))).toBe(true);
      // Opening again finds nothing to do.
      const again = await open(9);
      await again.close();
      expect(runs).toEqual([1]);
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
  }, 60_000);

  it('upgrades a database written before schema versions existed, keeping its data', async () => {
    const database = fresh();
    const old = await MongoEngine.open({ uri: uri!, database });
    await old.transaction((tx) => tx.write(version('Patient', 'p1', 1, 1)));
    await old.close();
    // What a release before schema versions left: no schema document.
    await client.db(database).collection('nimbus_meta').deleteOne({ _id: 'schema' as never });
    const engine = await MongoEngine.open({ uri: uri!, database });
    try {
      expect((await engine.read('Patient', 'p1'))?.versionId).toBe(1);
      expect(await client.db(database).collection('nimbus_meta').findOne({ _id: 'schema' as never })).toMatchObject({ version: MONGO_MIGRATIONS.length });
    } finally {
      await engine.close();
    }
  });

  it('refuses a database migrated by a newer release, without touching it', async () => {
    const database = fresh();
    await client.db(database).collection('nimbus_meta').insertOne({ _id: 'schema' as never, version: MONGO_MIGRATIONS.length + 5 });
    await expect(MongoEngine.open({ uri: uri!, database })).rejects.toThrow(/schema version \d+ is newer than this release understands/);
    expect((await client.db(database).listCollections().toArray()).map((c) => c.name)).toEqual(['nimbus_meta']);
  });
});
