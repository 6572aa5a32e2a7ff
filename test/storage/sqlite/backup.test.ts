// The SQLite backup and restore primitives on their own: what they refuse (the database's own
// files, something that is not a nimbus-fhir database, a schema newer than this release) leaves
// everything as it was; a backup restored replaces the database and keeps the previous one.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { backupSqlite, restoreSqlite } from '../../../src/storage/sqlite/backup';
import { SqliteEngine } from '../../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../../support/engines';
import { version } from '../../engine/versions';

async function databaseWith(ids: string[]): Promise<string> {
  const file = path.join(tempDir(), 'nimbus.sqlite');
  const engine = new SqliteEngine({ file });
  for (const id of ids) await engine.transaction((tx) => tx.write(version('Basic', id, 1, 1)));
  await engine.close();
  return file;
}

const ids = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM resources ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
};

describe('SQLite backup and restore', () => {
  it('refuses to write a backup over the database or its side files', async () => {
    const file = await databaseWith(['a']);
    for (const target of [file, `${file}-wal`, `${file}.lock`]) await expect(backupSqlite(file, target)).rejects.toThrow(/database's own file/);
    expect(ids(file)).toEqual(['a']);
  });

  it('restores a backup, keeping the previous database beside it', async () => {
    const source = await databaseWith(['a', 'b']);
    const backup = path.join(tempDir(), 'b.sqlite');
    await backupSqlite(source, backup);
    const target = await databaseWith(['other']);
    const result = restoreSqlite(backup, target, new Date('2026-01-02T03:04:05.678Z'));
    expect(result.resources).toBe(2);
    expect(ids(target)).toEqual(['a', 'b']);
    expect(result.previous).toBe(`${target}.before-restore-2026-01-02T03-04-05-678Z`);
    expect(ids(result.previous!)).toEqual(['other']);
    expect(fs.existsSync(`${target}.restoring`)).toBe(false);
  });

  it('refuses what is not a usable backup and changes nothing', async () => {
    const target = await databaseWith(['kept']);
    const garbage = path.join(tempDir(), 'garbage.sqlite');
    fs.writeFileSync(garbage, 'this is not a database, just text long enough to look like a file header..........');
    expect(() => restoreSqlite(garbage, target)).toThrow(/not a SQLite database|not a nimbus-fhir database|damaged/);
    const empty = path.join(tempDir(), 'empty.sqlite');
    new Database(empty).close();
    expect(() => restoreSqlite(empty, target)).toThrow(/not a nimbus-fhir database/);
    const newer = path.join(tempDir(), 'newer.sqlite');
    await backupSqlite(await databaseWith(['x']), newer);
    const db = new Database(newer);
    db.pragma('user_version = 999');
    db.close();
    expect(() => restoreSqlite(newer, target)).toThrow(/newer than this release/);
    expect(() => restoreSqlite(target, target)).toThrow(/database's own file/);
    expect(ids(target)).toEqual(['kept']);
    expect(fs.readdirSync(path.dirname(target)).filter((f) => f.includes('before-restore') || f.endsWith('.restoring'))).toEqual([]);
  });
});
