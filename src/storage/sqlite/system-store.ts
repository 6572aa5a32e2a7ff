// The SystemStore on SQLite (table system_documents, migration 4). Reads come from the read
// connection (committed state; every write is acknowledged only after its commit, so a caller
// reads its own writes). Writes are engine transactions like any other: queued in the group
// commit, decided on the main thread against committed + pending state, applied by the writer
// thread (system-writes.ts).
import type Database from 'better-sqlite3';
import type { SystemDocument, SystemStore, SystemWriteOptions } from '../engine';
import { checkCollection, checkKey, checkLimit, encodeValue, isExpired, normaliseExpiry } from '../system-documents';
import type { GroupCommit } from './group-commit';
import type { SystemRow } from './pending-writes';

interface StoredRow {
  key: string;
  rev: number;
  value: string;
  expires_at: string | null;
}

const nowIso = () => new Date().toISOString();

function toDocument<T>(row: StoredRow): SystemDocument<T> {
  return { key: row.key, rev: row.rev, value: JSON.parse(row.value) as T, ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}) };
}

export class SqliteSystemStore implements SystemStore {
  private statements?: {
    getRow: Database.Statement<[string, string], StoredRow>;
    listRows: Database.Statement<unknown[], StoredRow>;
  };

  constructor(
    private readonly reader: Database.Database,
    private readonly commits: GroupCommit,
  ) {}

  /** Prepared on first use (a schema older than migration 4 has no table; tests open one). */
  private get stmts() {
    return (this.statements ??= {
      getRow: this.reader.prepare('SELECT key, rev, value, expires_at FROM system_documents WHERE collection = ? AND key = ?'),
      // `key >= @prefix` bounds the primary-key range; substr() is the exact prefix test (SQLite's
      // substr and length both count characters).
      listRows: this.reader.prepare(
        `SELECT key, rev, value, expires_at FROM system_documents
         WHERE collection = @collection AND key > @after AND key >= @prefix AND substr(key, 1, length(@prefix)) = @prefix
           AND (expires_at IS NULL OR expires_at > @now)
         ORDER BY key LIMIT @limit`,
      ),
    });
  }

  /** The committed row, expired or not (the group commit's view falls back to it). */
  committedRow(collection: string, key: string): SystemRow | undefined {
    const row = this.stmts.getRow.get(collection, key);
    return row && { rev: row.rev, value: row.value, expiresAt: row.expires_at };
  }

  async get<T>(collection: string, key: string): Promise<SystemDocument<T> | undefined> {
    checkCollection(collection);
    checkKey(key);
    const row = this.stmts.getRow.get(collection, key);
    return row && !isExpired(row.expires_at, nowIso()) ? toDocument<T>(row) : undefined;
  }

  async insert<T>(collection: string, key: string, value: T, options: SystemWriteOptions = {}): Promise<boolean> {
    checkCollection(collection);
    checkKey(key);
    const row: SystemRow = { rev: 1, value: encodeValue(value), expiresAt: normaliseExpiry(options.expiresAt) ?? null };
    return this.commits.transaction(async (tx) => {
      const previous = tx.systemRow(collection, key);
      if (previous && !isExpired(previous.expiresAt, nowIso())) return false;
      tx.systemPut(collection, key, row, previous);
      return true;
    });
  }

  async replace<T>(collection: string, key: string, value: T, expectedRev: number, options: SystemWriteOptions = {}): Promise<boolean> {
    checkCollection(collection);
    checkKey(key);
    const text = encodeValue(value);
    const expiresAt = normaliseExpiry(options.expiresAt) ?? null;
    return this.commits.transaction(async (tx) => {
      const previous = tx.systemRow(collection, key);
      if (!previous || previous.rev !== expectedRev || isExpired(previous.expiresAt, nowIso())) return false;
      tx.systemPut(collection, key, { rev: expectedRev + 1, value: text, expiresAt }, previous);
      return true;
    });
  }

  async delete(collection: string, key: string, expectedRev?: number): Promise<boolean> {
    checkCollection(collection);
    checkKey(key);
    return this.commits.transaction(async (tx) => {
      const previous = tx.systemRow(collection, key);
      if (!previous || isExpired(previous.expiresAt, nowIso())) return false;
      if (expectedRev !== undefined && previous.rev !== expectedRev) return false;
      tx.systemDelete(collection, key, previous);
      return true;
    });
  }

  async list<T>(collection: string, options: { prefix?: string; after?: string; limit: number }): Promise<SystemDocument<T>[]> {
    checkCollection(collection);
    checkLimit(options.limit);
    if (options.after !== undefined) checkKey(options.after, 'cursor');
    const rows = this.stmts.listRows.all({ collection, after: options.after ?? '', prefix: options.prefix ?? '', now: nowIso(), limit: options.limit });
    return rows.map((r) => toDocument<T>(r));
  }
}
