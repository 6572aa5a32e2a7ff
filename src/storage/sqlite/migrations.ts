// Schema of the embedded SQLite database, as an ordered list of migrations. `PRAGMA user_version`
// records how far a database file has been migrated; each migration runs in one transaction, so a
// crash mid-upgrade leaves the file at the previous version. Never edit a released migration:
// append a new one.
import type Database from 'better-sqlite3';
import { POSITION_INDEX_SQL, RID_SPAN, SEARCH_INDEX_SQL } from './search/schema';
import { geoPoint } from '../../search/geo';

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Data changes after the schema change, in the same transaction. */
  after?: (db: Database.Database) => void;
}

/**
 * Position rows for the Locations already stored (migration 5): read from each current JSON, with
 * the same validity rule as the indexer (search/geo.ts geoPoint), under the parameter id of
 * `Location.near` (created here when the file has none yet).
 */
function backfillPositions(db: Database.Database): void {
  const rows = db.prepare("SELECT rid, json_extract(json, '$.position.latitude') AS lat, json_extract(json, '$.position.longitude') AS lon FROM resources WHERE type = 'Location' AND deleted = 0 AND json_extract(json, '$.position') IS NOT NULL").all() as Array<{ rid: number; lat: unknown; lon: unknown }>;
  if (!rows.length) return;
  db.prepare("INSERT OR IGNORE INTO search_param (type, code, kind) VALUES ('Location', 'near', 'position')").run();
  const { pid } = db.prepare("SELECT pid FROM search_param WHERE type = 'Location' AND code = 'near'").get() as { pid: number };
  const insert = db.prepare('INSERT INTO idx_position (k, lat_lo, lat_hi, lon_lo, lon_hi, p, lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  for (const r of rows) {
    const point = geoPoint(r.lat, r.lon);
    if (point) insert.run(r.rid * RID_SPAN, point.lat, point.lat, point.lon, point.lon, pid, point.lat, point.lon);
  }
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'current resources and every version',
    sql: `
      -- The current version of each resource (or its delete marker). rid is the stable row id that
      -- the search index tables point at.
      CREATE TABLE resources (
        rid          INTEGER PRIMARY KEY,
        type         TEXT    NOT NULL,
        id           TEXT    NOT NULL,
        version      INTEGER NOT NULL,
        last_updated TEXT    NOT NULL,   -- ISO instant, always YYYY-MM-DDTHH:MM:SS.sssZ, so text order is time order
        deleted      INTEGER NOT NULL DEFAULT 0,
        json         TEXT                -- NULL for a delete marker
      );
      CREATE UNIQUE INDEX resources_type_id ON resources(type, id);
      CREATE INDEX resources_type_updated ON resources(type, last_updated);

      -- Every version ever written, append-only; seq gives the global history order.
      CREATE TABLE versions (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        rid          INTEGER NOT NULL,
        type         TEXT    NOT NULL,
        id           TEXT    NOT NULL,
        version      INTEGER NOT NULL,
        last_updated TEXT    NOT NULL,
        deleted      INTEGER NOT NULL DEFAULT 0,
        json         TEXT
      );
      CREATE UNIQUE INDEX versions_rid_version ON versions(rid, version);
      CREATE INDEX versions_type_seq ON versions(type, seq);
      CREATE INDEX versions_updated ON versions(last_updated);
    `,
  },
  {
    version: 2,
    description: 'search index tables (one per IndexValues kind; see docs/index-layout.md)',
    sql: SEARCH_INDEX_SQL,
  },
  {
    version: 3,
    description: 'live resources of a type counted from an index alone',
    // Every search filters on `deleted = 0`, which (type, last_updated) could not answer: counting
    // all Observations read every one of their table rows (100k store: 20 ms → 1.8 ms; at 1M the
    // whole-type count was 1.2 M matches/s). The same index still orders by _lastUpdated.
    sql: `
      DROP INDEX resources_type_updated;
      CREATE INDEX resources_type_live ON resources(type, deleted, last_updated);
    `,
  },
  {
    version: 4,
    description: "the server's own documents (SystemStore: jobs, keys, clients, ...)",
    // Keyed by (collection, key) without a rowid: a get is one B-tree seek and a list a range of
    // it. value is JSON text; expires_at an ISO instant (text order = time order), NULL = never.
    // The partial index finds expired rows for the periodic purge without touching the others.
    sql: `
      CREATE TABLE system_documents (
        collection TEXT    NOT NULL,
        key        TEXT    NOT NULL,
        rev        INTEGER NOT NULL,
        value      TEXT    NOT NULL,
        expires_at TEXT,
        PRIMARY KEY (collection, key)
      ) WITHOUT ROWID;
      CREATE INDEX system_documents_expiry ON system_documents(expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 5,
    description: 'positions for `near` (R*Tree bounding box + exact great-circle check)',
    // Locations written before this version have no position rows: the upgrade fills them in from
    // the stored JSON in the same transaction (see positionBackfill), so `near` finds them at once.
    sql: POSITION_INDEX_SQL,
    after: backfillPositions,
  },
];

/** Brings a database file up to the newest schema; refuses a file from a newer release. */
export function migrate(db: Database.Database, migrations: Migration[] = MIGRATIONS): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const newest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > newest) {
    throw new Error(`database schema version ${current} is newer than this release understands (${newest}); upgrade nimbus-fhir`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      m.after?.(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}
