// What both connections to the database file share: how a connection is opened, how a version's
// text is read back, and how SQLite's own statement limits become a client error. The read
// connection lives on the main thread (sqlite-engine.ts), the write connection on the writer
// thread (sqlite-writer.ts).
import Database from 'better-sqlite3';
import { FhirError } from '../../fhir/errors';
import type { VersionRow } from './rows';

/**
 * The text of a version: the current version's lives only in `resources` (versions.json is NULL
 * until the version is superseded and archived), so a create writes its JSON once, not twice.
 * Needs `resources r` joined on the version's rid.
 */
export const VERSION_JSON = 'COALESCE(v.json, CASE WHEN r.version = v.version THEN r.json END)';

/** SQLite's own limits on one statement (expression depth, bound variables, LIKE pattern size)
 * are reached only by very large client queries: they are the client's to simplify, not a 500. */
const QUERY_LIMIT_ERRORS = /Expression tree is too large|Recursion limit|too many SQL variables|parser stack overflow|LIKE or GLOB pattern too complex|string or blob too big|too many terms in compound SELECT/;

export function withQueryLimits<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof Error && QUERY_LIMIT_ERRORS.test(e.message)) {
      throw new FhirError(400, 'QUERY_TOO_COMPLEX', [
        { severity: 'error', code: 'too-costly', diagnostics: `The search is too large for one query (${e.message}): split it into several searches` },
      ]);
    }
    throw e;
  }
}

export function openDatabase(file: string, readonly: boolean): Database.Database {
  const db = new Database(file, { readonly, fileMustExist: readonly });
  db.pragma('busy_timeout = 10000');
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Checkpoint every ~40 MiB of WAL instead of SQLite's 4 MiB: an index page rewritten by many
    // commits between two checkpoints is copied into the database file once, and fewer
    // checkpoints mean fewer fsyncs of the database file (commit time on import: -25 %).
    db.pragma('wal_autocheckpoint = 10000');
  }
  db.pragma('cache_size = -65536'); // 64 MiB page cache per connection
  db.pragma('mmap_size = 268435456');
  db.pragma('temp_store = MEMORY');
  return db;
}

/** Prepared reads by id over one connection (the reader's, or the writer's inside a transaction). */
export class VersionStatements {
  readonly read;
  readonly vread;
  readonly ridOf;
  constructor(readonly db: Database.Database) {
    this.read = db.prepare<[string, string], VersionRow>('SELECT type, id, version, last_updated, deleted, json FROM resources WHERE type = ? AND id = ?');
    this.vread = db.prepare<[string, string, number], VersionRow>(
      `SELECT v.type, v.id, v.version, v.last_updated, v.deleted, ${VERSION_JSON} AS json
       FROM resources r JOIN versions v ON v.rid = r.rid WHERE r.type = ? AND r.id = ? AND v.version = ?`,
    );
    this.ridOf = db.prepare<[string, string], { rid: number; version: number }>('SELECT rid, version FROM resources WHERE type = ? AND id = ?');
  }
}
