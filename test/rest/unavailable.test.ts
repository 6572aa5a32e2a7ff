// A database that cannot serve is a 503 with a `transient` OperationOutcome and Retry-After, not a
// 500; nothing of a refused request is stored, and service resumes without a restart once the
// database is back. MongoDB: a FerretDB server of this test's own is stopped and started again.
// SQLite: a small tmpfs makes the disk really full (needs root to mount), and a second connection
// holds the write lock. Read-only files and I/O errors cannot be caused here without more kernel
// tricks (a remount to read-only is refused while the database is open): their classification is
// covered in test/storage/unavailable.test.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Response } from 'supertest';
import { MongoEngine } from '../../src/storage/mongo/mongo-engine';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../support/engines';
import { ferretdbBinary, PrivateFerretDb } from '../support/private-ferretdb';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

function expectUnavailable(res: Response): void {
  expect(res.status).toBe(503);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe('transient');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

async function eventually<T>(what: () => Promise<T>, ok: (v: T) => boolean, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ferret = process.env.MONGODB_URI ? ferretdbBinary() : { why: 'MONGODB_URI is not set (the MongoDB engine is not tested here)' };
const describeMongo = ferret.bin ? describe : describe.skip;
if (!ferret.bin) {
  // eslint-disable-next-line no-console
  console.log(`[engine mongodb] 503 while the database is down: SKIPPED — ${ferret.why}`);
}

describeMongo('while MongoDB is down [mongodb]', () => {
  let db: PrivateFerretDb;
  let t: TestServer;
  beforeAll(async () => {
    db = await PrivateFerretDb.start(ferret.bin!);
    const engine = await MongoEngine.open({ uri: db.uri, database: `nimbus_down_${randomBytes(4).toString('hex')}`, serverSelectionTimeoutMS: 1000 });
    t = await makeTestServer({ engine });
  }, 60_000);
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await db?.down();
  });

  it('answers reads, searches and writes with 503, stores nothing, and recovers without a restart', async () => {
    expect((await t.http.put('/fhir/Patient/p1').set('Content-Type', FHIR).send({ resourceType: 'Patient', id: 'p1', active: true })).status).toBe(201);
    await db.down();

    expectUnavailable(await t.http.get('/fhir/Patient/p1'));
    expectUnavailable(await t.http.get('/fhir/Patient?active=true'));
    expectUnavailable(await t.http.get('/fhir/Patient/p1/_history'));
    expectUnavailable(await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send({ resourceType: 'Patient' }));
    expectUnavailable(await t.http.put('/fhir/Patient/p1').set('Content-Type', FHIR).send({ resourceType: 'Patient', id: 'p1', active: false }));
    expectUnavailable(await t.http.put('/fhir/Patient/p2').set('Content-Type', FHIR).send({ resourceType: 'Patient', id: 'p2' }));
    const batch = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .send({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'PUT', url: 'Patient/p3' }, resource: { resourceType: 'Patient', id: 'p3' } }, { request: { method: 'GET', url: 'Patient/p1' } }] });
    expect(batch.status).toBe(200);
    expect(batch.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['503 Service Unavailable', '503 Service Unavailable']);

    await db.up();
    const back = await eventually(() => t.http.get('/fhir/Patient/p1'), (r) => r.status === 200);
    expect(back.status).toBe(200);
    expect(back.body.active).toBe(true); // the update refused during the outage did not happen
    expect(back.body.meta.versionId).toBe('1');
    expect((await t.http.get('/fhir/Patient/p2')).status).toBe(404);
    expect((await t.http.get('/fhir/Patient/p3')).status).toBe(404);
    expect((await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send({ resourceType: 'Patient' })).status).toBe(201);
  }, 120_000);
});

/** Mounts a tmpfs of `size` at a fresh directory; undefined (and why) when this process cannot. */
function mountTmpfs(size: string): { dir?: string; why?: string } {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { why: 'mounting a small tmpfs needs root on Linux' };
  const dir = tempDir('nimbus-small-disk-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (e) {
    return { why: `cannot mount a tmpfs here: ${String((e as { stderr?: Buffer }).stderr ?? e).trim().slice(0, 120)}` };
  }
}

const small = mountTmpfs('8m');
const describeSmallDisk = small.dir ? describe : describe.skip;
if (!small.dir) {
  // eslint-disable-next-line no-console
  console.log(`[engine sqlite] 503 on a full disk or a locked database: SKIPPED — ${small.why}`);
}

describeSmallDisk('when the disk is full or the database locked [sqlite]', () => {
  const dir = small.dir!;
  const filler = path.join(dir, 'filler');
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: new SqliteEngine({ file: path.join(dir, 'nimbus.sqlite') }) });
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    execFileSync('umount', ['-l', dir]);
  });

  /** Fills the file system to the last byte. */
  function fill(): void {
    const fd = fs.openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      fs.closeSync(fd);
    }
    // The last partial chunk: byte by byte until the very end.
    try {
      for (;;) fs.appendFileSync(filler, Buffer.alloc(512));
    } catch {
      // full
    }
  }

  const patient = (id: string) => ({ resourceType: 'Patient', id, name: [{ family: 'X'.repeat(2000), given: [id] }] });

  it('answers writes with 503 while reads go on, stores nothing, and writes again once space is freed', async () => {
    expect((await t.http.put('/fhir/Patient/before').set('Content-Type', FHIR).send(patient('before'))).status).toBe(201);
    fill();
    const refused: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await t.http.put(`/fhir/Patient/full-${i}`).set('Content-Type', FHIR).send(patient(`full-${i}`));
      if (res.status === 201) continue; // what fitted in pages SQLite had already allocated
      expectUnavailable(res);
      expect(res.body.issue[0].diagnostics).toMatch(/disk is full/);
      refused.push(`full-${i}`);
    }
    expect(refused.length).toBeGreaterThan(0);
    expect((await t.http.get('/fhir/Patient/before')).status).toBe(200);
    expect((await t.http.get('/fhir/Patient?_id=before')).status).toBe(200);

    fs.rmSync(filler);
    expect((await t.http.put('/fhir/Patient/after').set('Content-Type', FHIR).send(patient('after'))).status).toBe(201);
    for (const id of refused) expect((await t.http.get(`/fhir/Patient/${id}`)).status).toBe(404);
  }, 60_000);

  it('answers writes with 503 while another process holds the write lock, and writes again once it lets go', async () => {
    // A second connection (as another process would) takes the write lock and keeps it longer
    // than the engine's busy timeout (10 s).
    const other = new Database(path.join(dir, 'nimbus.sqlite'));
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const res = await t.http.put('/fhir/Patient/locked').set('Content-Type', FHIR).send(patient('locked'));
      expectUnavailable(res);
      expect(res.body.issue[0].diagnostics).toMatch(/locked/);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect((await t.http.put('/fhir/Patient/unlocked').set('Content-Type', FHIR).send(patient('unlocked'))).status).toBe(201);
    expect((await t.http.get('/fhir/Patient/locked')).status).toBe(404);
  }, 60_000);
});
