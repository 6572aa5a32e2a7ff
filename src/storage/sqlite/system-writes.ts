// The writer thread's side of the SystemStore (system_documents, migration 4): applying the puts
// and deletes the main thread decided (system-store.ts), and purging expired documents now and
// then. Expired rows are invisible to readers already; the purge only reclaims their space.
import type Database from 'better-sqlite3';
import type { SystemRow } from './pending-writes';

/** How often expired documents are removed (at the start of a write group, so the purge costs no
 * fsync of its own). */
const PURGE_EVERY_MS = 60_000;

export class SystemDocumentWrites {
  private readonly put;
  private readonly remove;
  private readonly anyExpired;
  private readonly purge;
  private lastPurge = 0;

  constructor(db: Database.Database) {
    // Insert, or overwrite the row the main thread based its decision on (`previous`: its rev,
    // 0 when it saw none). A row a purge removed meanwhile was expired, which the main thread
    // treated as absent too, so the insert branch is right for it.
    this.put = db.prepare(
      `INSERT INTO system_documents (collection, key, rev, value, expires_at) VALUES (@collection, @key, @rev, @value, @expiresAt)
       ON CONFLICT (collection, key) DO UPDATE SET rev = excluded.rev, value = excluded.value, expires_at = excluded.expires_at
       WHERE system_documents.rev = @previous`,
    );
    this.remove = db.prepare('DELETE FROM system_documents WHERE collection = ? AND key = ? AND rev = ?');
    this.anyExpired = db.prepare('SELECT 1 FROM system_documents WHERE expires_at <= ? LIMIT 1');
    this.purge = db.prepare('DELETE FROM system_documents WHERE expires_at <= ?');
  }

  /**
   * The main thread decides every compare-and-set against its view (committed + pending), so a
   * row that is not what it saw means a second writer on the file (which the data directory lock
   * prevents): refuse rather than overwrite it.
   */
  write(collection: string, key: string, row: SystemRow, previous: number): void {
    const changed = this.put.run({ collection, key, rev: row.rev, value: row.value, expiresAt: row.expiresAt, previous }).changes;
    if (changed !== 1) throw new Error(`system document ${collection}/${key} was changed by another writer of this database file`);
  }

  /** A row already gone was purged (it had expired): nothing to do. */
  delete(collection: string, key: string, rev: number): void {
    this.remove.run(collection, key, rev);
  }

  /** Inside an open write transaction, at most once per PURGE_EVERY_MS. */
  purgeExpired(now = Date.now()): void {
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    const iso = new Date(now).toISOString();
    if (this.anyExpired.get(iso)) this.purge.run(iso);
  }
}
