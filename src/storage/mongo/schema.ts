// The schema version of a MongoDB database and the migrations that bring it up to this release,
// safe when any number of server processes start at once, on a new or an existing database.
//
// `nimbus_meta` holds `{_id: "schema", version}`. At start-up a process
//   1. refuses a database whose version is newer than this release knows (an older release must
//      not write a layout it does not understand: upgrade it instead);
//   2. creates the collections and indexes of this release's layout — idempotent, and tolerant
//      of other processes creating the same ones at the same moment (layout.ts);
//   3. if migrations are pending, takes the database's `schema-migration` lock (locks.ts; a live
//      holder renews it, a crashed one's lapses), re-reads the version, runs what is still
//      pending, records the version, and releases. Others wait (bounded, with a log line naming
//      the holder) and then find nothing left to do.
import type { Db } from 'mongodb';
import type { Capabilities } from './connection';
import { META, ensureLayout } from './layout';
import { MongoLocks } from './locks';
import { isDuplicateKey } from './write';

export interface MongoMigration {
  version: number;
  description: string;
  run(db: Db, capabilities: Capabilities): Promise<void>;
}

/** Never edit or remove a released migration: append one. */
export const MONGO_MIGRATIONS: MongoMigration[] = [
  {
    version: 1,
    description: 'resources, versions, nimbus_meta, nimbus_system, nimbus_locks and their indexes',
    // Everything so far is the idempotent layout that every start-up ensures anyway.
    run: ensureLayout,
  },
];

export interface SchemaOptions {
  migrations?: MongoMigration[];
  /** Log lines for operators: waiting for another process, migrating. */
  log?: (message: string) => void;
  /** How long to wait for another process's migration (default 10 minutes). */
  waitMs?: number;
}

interface SchemaDocument {
  _id: string;
  version: number;
  by?: string;
  at?: Date;
}

export class SchemaTooNewError extends Error {}

/** Brings the database to this release's schema; see the module comment. */
export async function openSchema(db: Db, capabilities: Capabilities, locks: MongoLocks, options: SchemaOptions = {}): Promise<number> {
  const migrations = options.migrations ?? MONGO_MIGRATIONS;
  const newest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const meta = db.collection<SchemaDocument>(META);
  const stored = async () => (await meta.findOne({ _id: 'schema' }))?.version ?? 0;

  const current = await stored();
  refuseNewer(current, newest);
  await ensureLayout(db, capabilities);
  if (current >= newest) return current;

  return locks.hold(
    'schema-migration',
    async () => {
      const now = await stored();
      refuseNewer(now, newest);
      for (const m of migrations) {
        if (m.version <= now) continue;
        options.log?.(`migrating the database schema to version ${m.version}: ${m.description}`);
        await m.run(db, capabilities);
      }
      // Only the holder of the lock writes the version, so a plain update is safe even where an
      // update's filter is not atomic (FerretDB).
      if (now === 0) {
        await meta.insertOne({ _id: 'schema', version: newest, at: new Date() }).catch((e: unknown) => {
          if (!isDuplicateKey(e)) throw e;
          return meta.updateOne({ _id: 'schema' }, { $set: { version: newest, at: new Date() } });
        });
      } else {
        await meta.updateOne({ _id: 'schema' }, { $set: { version: newest, at: new Date() } });
      }
      return newest;
    },
    {
      leaseMs: 60_000,
      waitMs: options.waitMs ?? 10 * 60_000,
      onWait: (holder, waited) =>
        options.log?.(`waiting ${Math.round(waited / 1000)} s for ${holder ?? 'another server process'} to migrate the database schema to version ${newest}`),
    },
  );
}

function refuseNewer(version: number, newest: number): void {
  if (version > newest) {
    throw new SchemaTooNewError(
      `database schema version ${version} is newer than this release understands (${newest}); upgrade nimbus-fhir ` +
        '(during a rolling upgrade, processes of the older release cannot start once a newer one has migrated the database)',
    );
  }
}
