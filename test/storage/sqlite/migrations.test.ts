// Schema migrations: a file written by an older release is upgraded in place with its data, and a
// file from a newer release is refused rather than misread.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, MIGRATIONS } from '../../../src/storage/sqlite/migrations';
import { SqliteEngine } from '../../../src/storage/sqlite/sqlite-engine';
import { version } from '../../engine/versions';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-migrate-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const newest = MIGRATIONS[MIGRATIONS.length - 1].version;

function userVersion(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

it('upgrades a version-2 file in place, keeping its resources searchable and counted from the live index', async () => {
  const file = path.join(dir, 'old.sqlite');
  const old = new SqliteEngine({ file, migrations: MIGRATIONS.slice(0, 2) });
  await old.transaction(async (tx) => {
    await tx.write(version('Patient', 'a', 1, 1));
    await tx.write(version('Patient', 'b', 1, 2));
  });
  await old.close();
  expect(userVersion(file)).toBe(2);

  const engine = new SqliteEngine({ file });
  try {
    expect(userVersion(file)).toBe(newest);
    const found = await engine.search({ resourceTypes: ['Patient'], where: [], sort: [{ param: '_lastUpdated', descending: true }], count: 10, total: 'accurate', include: [], revinclude: [] });
    expect(found.total).toBe(2);
    expect(found.matches.map((m) => m.id)).toEqual(['b', 'a']);
  } finally {
    await engine.close();
  }
  const db = new Database(file, { readonly: true });
  const plan = db.prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM resources r WHERE r.type = 'Patient' AND r.deleted = 0").all() as { detail: string }[];
  db.close();
  expect(plan.map((p) => p.detail).join(' ')).toMatch(/COVERING INDEX resources_type_live/);
});

it('refuses a file migrated by a newer release', () => {
  const file = path.join(dir, 'future.sqlite');
  const db = new Database(file);
  migrate(db);
  db.pragma(`user_version = ${newest + 1}`);
  db.close();
  expect(() => new SqliteEngine({ file })).toThrow(/newer than this release understands/);
});

it('upgrades a version-4 file to positions in place: stored Locations are found by near at once', async () => {
  const file = path.join(dir, 'v4.sqlite');
  const v4 = MIGRATIONS.findIndex((m) => m.version === 4) + 1;
  const old = new SqliteEngine({ file, migrations: MIGRATIONS.slice(0, v4) });
  const at = (id: string, lat: number, lon: number) => version('Location', id, 1, 1, { position: { latitude: lat, longitude: lon } });
  await old.transaction(async (tx) => {
    await tx.write(at('dam', 52.373, 4.893));
    await tx.write(at('haarlem', 52.381, 4.636));
    await tx.write(at('bad', 123, 4.9)); // not a valid latitude: never matches
    await tx.write(version('Location', 'none', 1, 1, { name: 'no position' }));
  });
  await old.close();
  expect(userVersion(file)).toBe(4);

  const engine = new SqliteEngine({ file });
  try {
    expect(userVersion(file)).toBeGreaterThanOrEqual(5);
    const near = (km: number) => {
      const box = { minLat: 52.37 - km / 111, maxLat: 52.37 + km / 111, lon: [[4.89 - km / 60, 4.89 + km / 60]] as Array<[number, number]> };
      return engine.search({
        resourceTypes: ['Location'],
        where: [{ kind: 'near', param: 'near', lat: 52.37, lon: 4.89, distanceKm: km, box }],
        sort: [{ param: 'near', descending: false, near: { lat: 52.37, lon: 4.89 } }],
        count: 10,
        total: 'accurate',
        include: [],
        revinclude: [],
      });
    };
    expect((await near(5)).matches.map((m) => m.id)).toEqual(['dam']);
    const wide = await near(25);
    expect(wide.matches.map((m) => m.id)).toEqual(['dam', 'haarlem']);
    expect(wide.total).toBe(2);
    // New writes after the upgrade land in the same index.
    await engine.transaction(async (tx) => {
      await tx.write(version('Location', 'dam', 2, 2, { position: { latitude: 10, longitude: 10 } }));
    });
    expect((await near(25)).matches.map((m) => m.id)).toEqual(['haarlem']);
  } finally {
    await engine.close();
  }
});
