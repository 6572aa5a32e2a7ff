// Scale-out start-up (issue 18): several server processes started at the same moment over one new
// MongoDB database all come up — collections, indexes, the schema document and the fhir-profiles/
// conformance resources are created once, race-free — and a process older than the database's
// schema refuses to run. Real child processes (the built CLI) over the real server.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { MongoClient } from 'mongodb';
import { MAIN, startServerProcess, waitForExit, type ServerProcess } from '../support/process';

const uri = process.env.MONGODB_URI;
const describeWithServer = uri ? describe : describe.skip;
if (!uri) {
  // eslint-disable-next-line no-console
  console.log('[engine mongodb] concurrent start-up: SKIPPED — MONGODB_URI is not set');
}

const PROCESSES = 3;

describeWithServer('MongoDB: concurrent start-up of several server processes', () => {
  const database = `nimbus_test_startup_${randomBytes(4).toString('hex')}`;
  const env = { NIMBUS_ENGINE: 'mongodb', MONGODB_URI: uri!, NIMBUS_MONGODB_DATABASE: database };
  let client: MongoClient;
  beforeAll(async () => {
    client = await MongoClient.connect(uri!);
  });
  afterAll(async () => {
    await client.db(database).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it(`starts ${PROCESSES} processes at once over a new database, installing everything exactly once`, async () => {
    for (let round = 0; round < 2; round++) {
      // Round 0: a new database; round 1: the same database, now existing, started together again.
      const started = await Promise.allSettled(Array.from({ length: PROCESSES }, () => startServerProcess(env, 60_000)));
      const failures = started.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => String(s.reason).slice(0, 2000));
      const up = started.filter((s): s is PromiseFulfilledResult<ServerProcess> => s.status === 'fulfilled').map((s) => s.value);
      try {
        expect(failures).toEqual([]);
        // Each answers, and each conformance resource exists once, as version 1.
        const capability = await fetch(`${up[0].baseUrl}/metadata`);
        expect(capability.status).toBe(200);
        for (const p of up) expect((await fetch(`${p.baseUrl}/metadata`)).status).toBe(200);
        const versions = await client.db(database).collection('versions').find({}, { projection: { t: 1, id: 1, v: 1 } }).toArray();
        expect(versions.length).toBeGreaterThan(0);
        expect(versions.every((v) => v.v === 1)).toBe(true);
        const schema = await client.db(database).collection('nimbus_meta').findOne({ _id: 'schema' as never });
        expect(schema).toMatchObject({ version: expect.any(Number) });
      } finally {
        for (const p of up) p.child.kill("SIGTERM");
        await Promise.all(up.map((p) => waitForExit(p.child)));
      }
    }
  }, 180_000);

  it('refuses to start against a database whose schema is newer than this release', async () => {
    const meta = client.db(database).collection<{ _id: string; version: number }>('nimbus_meta');
    const schema = await meta.findOne({ _id: 'schema' });
    await meta.updateOne({ _id: 'schema' }, { $set: { version: 999 } });
    try {
      const r = spawnSync(process.execPath, [MAIN, 'serve'], { encoding: 'utf8', env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env }, timeout: 30_000, killSignal: 'SIGKILL' });
      expect(r.status).not.toBe(0);
      expect(r.stderr + r.stdout).toMatch(/schema version 999 is newer than this release understands \(\d+\); upgrade nimbus-fhir/);
    } finally {
      await meta.updateOne({ _id: 'schema' }, { $set: { version: schema!.version } });
    }
  }, 60_000);
});
