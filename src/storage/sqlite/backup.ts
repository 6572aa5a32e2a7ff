// Online backup and atomic restore of the embedded SQLite database.
//
// Backup runs beside a live server without its process lock (process-lock.ts guards writers; a
// backup only reads): it opens the database file READ-ONLY — so it can never checkpoint, truncate
// or otherwise touch the server's WAL — and copies it with SQLite's online backup API in ONE step,
// which reads every page inside one read transaction: the copy is the database as of that
// instant (every commit acknowledged before it is in, none after), while the server keeps reading
// and writing (WAL readers do not block writers). A step-wise copy would restart whenever the
// server commits in between and could chase a busy server for ever. The copy is written beside
// the target and renamed into place once complete and synced, so a backup file is never partial.
//
// Restore takes the process lock (so it refuses while a server, import or export uses the data
// directory), checks the backup (integrity_check, a schema this release can open), copies it next
// to the database, keeps the previous database as a hard link `nimbus.sqlite.before-restore-<time>`,
// and renames the copy over the database file: a crash leaves either the old or the new database,
// never a mix.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';
import { ProcessLock } from './process-lock';

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
}

/** The database's own files, which a backup must never overwrite nor a restore read from. */
function assertNotTheDatabase(databaseFile: string, other: string, what: string): void {
  const own = ['', '-wal', '-shm', '.lock', '.lock.json'].map((suffix) => path.resolve(`${databaseFile}${suffix}`));
  if (own.includes(path.resolve(other))) throw new Error(`${what} ${other} is the database's own file: give a path outside ${path.dirname(databaseFile)}'s database files`);
}

export async function backupSqlite(databaseFile: string, target: string): Promise<BackupResult> {
  if (!fs.existsSync(databaseFile)) throw new Error(`no database at ${databaseFile}`);
  assertNotTheDatabase(databaseFile, target, 'the backup file');
  const dir = path.dirname(path.resolve(target));
  fs.mkdirSync(dir, { recursive: true });
  const partial = `${target}.partial-${process.pid}`;
  fs.rmSync(partial, { force: true });
  const source = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 10000');
    // The first transfer only starts the backup; returning the largest step copies every
    // remaining page in one step, i.e. in one read transaction (see above).
    const progress = await source.backup(partial, { progress: () => 0x7fffffff });
    // The copy's header still says WAL; leave it so (the engine opens it in WAL mode anyway), and
    // make it durable before it takes the target's name.
    syncFile(partial);
    fs.renameSync(partial, target);
    syncFile(dir);
    return { file: target, bytes: fs.statSync(target).size, pages: progress.totalPages };
  } catch (e) {
    fs.rmSync(partial, { force: true });
    throw e;
  } finally {
    source.close();
  }
}

/** Checks a backup before it replaces anything: readable, intact, a schema this release opens. */
export function verifyBackup(file: string): { schemaVersion: number; resources: number } {
  if (!fs.existsSync(file)) throw new Error(`no backup at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (!(integrity.length === 1 && integrity[0] === 'ok')) throw new Error(`the backup ${file} is damaged: ${integrity.slice(0, 5).join('; ')}`);
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const newest = MIGRATIONS[MIGRATIONS.length - 1].version;
    if (schemaVersion < 1) throw new Error(`${file} is not a nimbus-fhir database (no schema)`);
    if (schemaVersion > newest) throw new Error(`the backup ${file} has schema version ${schemaVersion}, newer than this release understands (${newest}); restore it with a newer nimbus-fhir`);
    const resources = (db.prepare('SELECT count(*) AS n FROM resources WHERE deleted = 0').get() as { n: number }).n;
    return { schemaVersion, resources };
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_NOTADB') throw new Error(`${file} is not a SQLite database`);
    throw e;
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  resources: number;
  /** Where the replaced database was kept, when there was one. */
  previous?: string;
}

export function restoreSqlite(backupFile: string, databaseFile: string, now: Date = new Date()): RestoreResult {
  assertNotTheDatabase(databaseFile, backupFile, 'the backup file');
  const { resources } = verifyBackup(backupFile);
  fs.mkdirSync(path.dirname(databaseFile), { recursive: true });
  // Throws DatabaseInUseError (naming the holder) while a server uses the directory.
  const lock = ProcessLock.acquire(databaseFile, 'restore');
  const incoming = `${databaseFile}.restoring`;
  try {
    fs.copyFileSync(backupFile, incoming);
    syncFile(incoming);
    let previous: string | undefined;
    if (fs.existsSync(databaseFile)) {
      // Fold the old database's WAL into its file (a server that crashed may have left one), so
      // the kept copy is whole and no stale WAL can be replayed onto the restored file.
      const old = new Database(databaseFile);
      try {
        old.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        old.close();
      }
      previous = `${databaseFile}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
      fs.linkSync(databaseFile, previous);
    }
    for (const side of ['-wal', '-shm']) fs.rmSync(`${databaseFile}${side}`, { force: true });
    fs.renameSync(incoming, databaseFile);
    syncFile(path.dirname(databaseFile));
    return { resources, previous };
  } finally {
    fs.rmSync(incoming, { force: true });
    lock.release();
  }
}

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
