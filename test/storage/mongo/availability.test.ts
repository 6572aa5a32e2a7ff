// Start-up and readiness when the database is unreachable or goes away, and recovery of a write
// interrupted between its two steps (standalone path). Real servers only: the outage is a TCP
// relay in front of the MONGODB_URI server that the test cuts.
import net from 'node:net';
import { MongoClient } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { MongoEngine } from '../../../src/storage/mongo/mongo-engine';
import { VERSIONS, toStoredVersion, versionKey } from '../../../src/storage/mongo/layout';
import { version } from '../../engine/versions';

describe('MongoDB engine start-up', () => {
  it('fails fast with a clear message when the database is unreachable', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const started = Date.now();
    await expect(MongoEngine.open({ uri: `mongodb://user:secret@127.0.0.1:${port}/`, database: 'x', serverSelectionTimeoutMS: 500 })).rejects.toThrow(
      new RegExp(`cannot reach MongoDB at mongodb://\\*\\*\\*@127\\.0\\.0\\.1:${port}/`),
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

const uri = process.env.MONGODB_URI;
const describeWithServer = uri ? describe : describe.skip;
if (!uri) {
  // eslint-disable-next-line no-console
  console.log('[engine mongodb] availability and write recovery: SKIPPED — MONGODB_URI is not set');
}

describeWithServer('MongoDB engine against a real server', () => {
  const database = `nimbus_test_avail_${randomBytes(4).toString('hex')}`;

  it('answers readiness while the database is up and throws while it is down', async () => {
    const target = new URL(uri!);
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 27017), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as net.AddressInfo).port;
    const engine = await MongoEngine.open({ uri: `mongodb://127.0.0.1:${port}/`, database, dropOnClose: false, serverSelectionTimeoutMS: 1000 });
    try {
      await expect(engine.ping()).resolves.toBeUndefined();
      // The outage: no new connections, existing ones cut.
      await new Promise<void>((r) => {
        relay.close(() => r());
        for (const s of sockets) s.destroy();
      });
      await expect(engine.ping()).rejects.toThrow();
    } finally {
      await engine.close().catch(() => undefined);
    }
  });

  it('starts again on an existing database (restart) and keeps its data', async () => {
    const restartDb = `${database}_restart`;
    const first = await MongoEngine.open({ uri: uri!, database: restartDb });
    await first.transaction((tx) => tx.write(version('Patient', 'kept', 1, 1)));
    await first.close();
    const second = await MongoEngine.open({ uri: uri!, database: restartDb, dropOnClose: true });
    try {
      expect((await second.read('Patient', 'kept'))?.versionId).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('loses no update when two engines (as two server processes) race on one resource', async () => {
    const raceDb = `${database}_race`;
    const a = await MongoEngine.open({ uri: uri!, database: raceDb });
    const b = await MongoEngine.open({ uri: uri!, database: raceDb, dropOnClose: true });
    try {
      await a.transaction((tx) => tx.write(version('Patient', 'hot', 1, 0)));
      let step = 0;
      const writer = async (engine: MongoEngine, name: string) => {
        let won = 0;
        for (let i = 0; i < 15; i++) {
          // Read-modify-write, as an update interaction does; a lost race is a 409, never a lost write.
          const ok = await engine
            .transaction(async (tx) => {
              const cur = await tx.read('Patient', 'hot');
              await tx.write(version('Patient', 'hot', cur!.versionId + 1, ++step, { language: name }));
            })
            .then(() => true, (e: { status?: number }) => {
              if (e.status !== 409) throw e;
              return false;
            });
          if (ok) won++;
        }
        return won;
      };
      const [wonA, wonB] = await Promise.all([writer(a, 'a'), writer(b, 'b')]);
      const current = await a.read('Patient', 'hot');
      expect(current?.versionId).toBe(1 + wonA + wonB);
      const history = await a.history({ resourceType: 'Patient', id: 'hot', count: 100 });
      expect(history.versions.map((v) => v.versionId)).toEqual(Array.from({ length: 1 + wonA + wonB }, (_, i) => wonA + wonB + 1 - i));
      const byWriter = history.versions.map((v) => JSON.parse(v.json!).language).filter(Boolean);
      expect(byWriter.filter((l: string) => l === 'a')).toHaveLength(wonA);
      expect(byWriter.filter((l: string) => l === 'b')).toHaveLength(wonB);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rolls forward a version whose writer died before making it current', async () => {
    const engine = await MongoEngine.open({ uri: uri!, database, dropOnClose: true });
    const client = new MongoClient(uri!, { ignoreUndefined: true });
    try {
      await engine.transaction((tx) => tx.write(version('Patient', 'p1', 1, 1, { gender: 'male' })));
      if (engine.atomicTransactions) return; // the two steps are one transaction there: nothing to recover
      // Step 1 of writing version 2 happened, then the writer crashed before step 2.
      const orphan = version('Patient', 'p1', 2, 2, { gender: 'female' });
      await client
        .db(database)
        .collection(VERSIONS)
        .insertOne(toStoredVersion(orphan, versionKey('Patient', 'p1', 2)) as never);
      expect((await engine.read('Patient', 'p1'))?.versionId).toBe(1);
      // The next writer, who read version 1, is told to retry — and finishes the orphan first.
      await expect(engine.transaction((tx) => tx.write(version('Patient', 'p1', 2, 3, { gender: 'other' })))).rejects.toMatchObject({ status: 409 });
      const current = await engine.read('Patient', 'p1');
      expect(current?.versionId).toBe(2);
      expect(current?.json).toBe(orphan.json);
      // Its retry goes through.
      await engine.transaction((tx) => tx.write(version('Patient', 'p1', 3, 4, { gender: 'other' })));
      expect((await engine.history({ resourceType: 'Patient', id: 'p1', count: 10 })).versions.map((v) => v.versionId)).toEqual([3, 2, 1]);
    } finally {
      await client.close();
      await engine.close();
    }
  });
});
