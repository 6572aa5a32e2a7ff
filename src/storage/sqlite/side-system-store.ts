// The SystemStore of a SQLite database that a running server owns, for the operator's CLI
// (`clients`, `users`, `launch`, `auth token`): a short-lived connection of its own, outside the
// data-directory lock, whose every write is one small IMMEDIATE transaction. SQLite's WAL mode lets
// it commit between the server's commits; the server's reader sees the new rows at its next read.
//
// Why this is safe beside the server: the server decides each compare-and-set against its view
// and applies it with `WHERE rev = <the rev it saw>` (system-writes.ts). Should the CLI change the
// very document the server is changing at that instant, the server's write fails cleanly instead
// of overwriting (the only shared documents are the signing keys, created once per rotation
// period, whose creators retry). Resources are never written through this door: import and export
// still need the server stopped.
import Database from 'better-sqlite3';
import type { SystemDocument, SystemStore, SystemWriteOptions } from '../engine';
import { checkCollection, checkKey, checkLimit, encodeValue, isExpired, normaliseExpiry } from '../system-documents';

interface Row {
  key: string;
  rev: number;
  value: string;
  expires_at: string | null;
}

/** The schema version that has system_documents (migrations.ts). */
const SYSTEM_DOCUMENTS_SCHEMA = 4;
const nowIso = () => new Date().toISOString();

export class SideSystemStore implements SystemStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = new Database(file, { fileMustExist: true });
    this.db.pragma('busy_timeout = 10000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version < SYSTEM_DOCUMENTS_SCHEMA) {
      this.db.close();
      throw new Error(`the database ${file} has schema ${version}; start the server once to upgrade it`);
    }
  }

  close(): void {
    this.db.close();
  }

  private row(collection: string, key: string): Row | undefined {
    return this.db.prepare<[string, string], Row>('SELECT key, rev, value, expires_at FROM system_documents WHERE collection = ? AND key = ?').get(collection, key);
  }

  private live(collection: string, key: string): Row | undefined {
    const row = this.row(collection, key);
    return row && !isExpired(row.expires_at, nowIso()) ? row : undefined;
  }

  private put(collection: string, key: string, rev: number, value: string, expiresAt: string | null): void {
    this.db
      .prepare(
        `INSERT INTO system_documents (collection, key, rev, value, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (collection, key) DO UPDATE SET rev = excluded.rev, value = excluded.value, expires_at = excluded.expires_at`,
      )
      .run(collection, key, rev, value, expiresAt);
  }

  async get<T>(collection: string, key: string): Promise<SystemDocument<T> | undefined> {
    checkCollection(collection);
    checkKey(key);
    const row = this.live(collection, key);
    return row && toDocument<T>(row);
  }

  async insert<T>(collection: string, key: string, value: T, options: SystemWriteOptions = {}): Promise<boolean> {
    checkCollection(collection);
    checkKey(key);
    const text = encodeValue(value);
    const expiresAt = normaliseExpiry(options.expiresAt) ?? null;
    return this.db.transaction(() => {
      if (this.live(collection, key)) return false;
      // An expired row may still be there (the purge is lazy); a new document starts at rev 1.
      this.put(collection, key, 1, text, expiresAt);
      return true;
    }).immediate();
  }

  async replace<T>(collection: string, key: string, value: T, expectedRev: number, options: SystemWriteOptions = {}): Promise<boolean> {
    checkCollection(collection);
    checkKey(key);
    const text = encodeValue(value);
    const expiresAt = normaliseExpiry(options.expiresAt) ?? null;
    return this.db.transaction(() => {
      const row = this.live(collection, key);
      if (!row || row.rev !== expectedRev) return false;
      this.put(collection, key, expectedRev + 1, text, expiresAt);
      return true;
    }).immediate();
  }

  async delete(collection: string, key: string, expectedRev?: number): Promise<boolean> {
    checkCollection(collection);
    checkKey(key);
    return this.db.transaction(() => {
      const row = this.live(collection, key);
      if (!row || (expectedRev !== undefined && row.rev !== expectedRev)) return false;
      this.db.prepare('DELETE FROM system_documents WHERE collection = ? AND key = ?').run(collection, key);
      return true;
    }).immediate();
  }

  async list<T>(collection: string, options: { prefix?: string; after?: string; limit: number }): Promise<SystemDocument<T>[]> {
    checkCollection(collection);
    checkLimit(options.limit);
    if (options.after !== undefined) checkKey(options.after, 'cursor');
    const rows = this.db
      .prepare<unknown[], Row>(
        `SELECT key, rev, value, expires_at FROM system_documents
         WHERE collection = @collection AND key > @after AND key >= @prefix AND substr(key, 1, length(@prefix)) = @prefix
           AND (expires_at IS NULL OR expires_at > @now)
         ORDER BY key LIMIT @limit`,
      )
      .all({ collection, after: options.after ?? '', prefix: options.prefix ?? '', now: nowIso(), limit: options.limit });
    return rows.map((r) => toDocument<T>(r));
  }
}

function toDocument<T>(row: Row): SystemDocument<T> {
  return { key: row.key, rev: row.rev, value: JSON.parse(row.value) as T, ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}) };
}
