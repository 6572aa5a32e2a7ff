// SQLite: expired SystemStore documents are invisible at once and removed from the file by the
// writer thread's periodic purge (at the start of a write group, at most once a minute).
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteEngine } from '../../../src/storage/sqlite/sqlite-engine';
import { SystemDocumentWrites } from '../../../src/storage/sqlite/system-writes';
import { tempDir } from '../../support/engines';

it('purges expired rows only, at most once a minute', async () => {
  const file = path.join(tempDir(), 'nimbus.sqlite');
  const engine = new SqliteEngine({ file });
  await engine.system.insert('tokens', 'expired', 1, { expiresAt: '2000-01-01T00:00:00Z' });
  await engine.system.insert('tokens', 'live', 2, { expiresAt: '2999-01-01T00:00:00Z' });
  await engine.system.insert('tokens', 'forever', 3);
  await engine.close();

  const db = new Database(file);
  const keys = () => (db.prepare('SELECT key FROM system_documents ORDER BY key').all() as { key: string }[]).map((r) => r.key);
  expect(keys()).toEqual(['expired', 'forever', 'live']);
  const writes = new SystemDocumentWrites(db);
  const now = Date.parse('2026-06-01T00:00:00Z');
  writes.purgeExpired(now);
  expect(keys()).toEqual(['forever', 'live']);
  db.prepare("INSERT INTO system_documents VALUES ('tokens', 'later', 1, '4', '2026-06-01T00:00:10.000Z')").run();
  writes.purgeExpired(now + 30_000); // within the minute: not yet
  expect(keys()).toContain('later');
  writes.purgeExpired(now + 61_000);
  expect(keys()).toEqual(['forever', 'live']);
  db.close();
});
