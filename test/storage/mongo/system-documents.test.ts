// MongoDB specifics of the SystemStore and of the locks that make its writes (and those of
// non-transactional resource writes) exclusive across server processes: two engines over one
// database stand for two processes. Real server only.
import { randomBytes } from 'node:crypto';
import { MongoEngine } from '../../../src/storage/mongo/mongo-engine';
import { LOCKS, SYSTEM } from '../../../src/storage/mongo/layout';
import { MongoLocks } from '../../../src/storage/mongo/locks';

const uri = process.env.MONGODB_URI;
const describeWithServer = uri ? describe : describe.skip;
if (!uri) {
  // eslint-disable-next-line no-console
  console.log('[engine mongodb] SystemStore documents and locks: SKIPPED — MONGODB_URI is not set');
}

describeWithServer('MongoDB SystemStore and locks', () => {
  const database = `nimbus_test_sys_${randomBytes(4).toString('hex')}`;
  let a: MongoEngine;
  let b: MongoEngine;
  beforeAll(async () => {
    a = await MongoEngine.open({ uri: uri!, database });
    b = await MongoEngine.open({ uri: uri!, database, dropOnClose: true });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });
  const raw = () => (a as unknown as { conn: { db: import('mongodb').Db } }).conn.db;

  it('shares documents between processes over one database', async () => {
    expect(await a.system.insert('clients', 'c1', { name: 'app' })).toBe(true);
    expect(await b.system.get('clients', 'c1')).toEqual({ key: 'c1', rev: 1, value: { name: 'app' } });
    expect(await b.system.insert('clients', 'c1', { name: 'other' })).toBe(false);
    const both = await Promise.all([a.system.replace('clients', 'c1', { v: 'a' }, 1), b.system.replace('clients', 'c1', { v: 'b' }, 1)]);
    expect(both.filter(Boolean)).toHaveLength(1);
  });

  it('removes expired documents from the database, by TTL index or by its own purge', async () => {
    await a.system.insert('tokens', 'expired', 1, { expiresAt: '2000-01-01T00:00:00Z' });
    await a.system.insert('tokens', 'live', 2, { expiresAt: '2999-01-01T00:00:00Z' });
    const indexes = await raw().collection(SYSTEM).listIndexes().toArray();
    if (a.capabilities.ttlIndexes) {
      expect(indexes.find((i) => i.name === 'expiry')).toMatchObject({ key: { exp: 1 }, expireAfterSeconds: 0 });
    } else {
      // eslint-disable-next-line no-console
      console.log(`[engine mongodb] no TTL indexes on this server (${a.capabilities.ferretdb ?? a.capabilities.serverVersion}): checking the engine's own purge`);
      expect(indexes.find((i) => i.name === 'expiry')).toBeUndefined();
      expect(await a.system.purgeExpired()).toBeGreaterThanOrEqual(1);
      expect(await raw().collection(SYSTEM).findOne({ _id: 'tokens/expired' as never })).toBeNull();
    }
    expect(await raw().collection(SYSTEM).findOne({ _id: 'tokens/live' as never })).not.toBeNull();
  });

  it('never lets two holders of one lock overlap, across processes', async () => {
    const one = new MongoLocks(raw(), a.capabilities);
    const two = new MongoLocks(raw(), b.capabilities);
    let inside = 0;
    let most = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        (i % 2 ? one : two).hold('r:Patient/hot', async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside--;
          done++;
        }),
      ),
    );
    expect(done).toBe(16);
    expect(most).toBe(1);
    expect(await raw().collection(LOCKS).findOne({ _id: 'l:r:Patient/hot' as never })).toBeNull();
  });

  it('breaks the lock of a holder that died once its lease expired, and waits (bounded) for a live one', async () => {
    const locks = raw().collection<{ _id: string; g: string; exp: Date }>(LOCKS);
    await locks.insertOne({ _id: 'l:dead', g: 'crashed-holder', exp: new Date(Date.now() - 1000) });
    const mine = new MongoLocks(raw(), a.capabilities, { waitMs: 300 });
    expect(await mine.hold('dead', async () => 'ran')).toBe('ran');

    await locks.insertOne({ _id: 'l:busy', g: 'live-holder', exp: new Date(Date.now() + 60_000) });
    const started = Date.now();
    const error = await mine.hold('busy', async () => 'ran').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, errorCode: 'WRITE_CONTENDED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await locks.findOne({ _id: 'l:busy' })).toMatchObject({ g: 'live-holder' });
  });
});
