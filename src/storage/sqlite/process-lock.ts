// One process per SQLite database: an exclusive lock that the operating system releases when its
// holder exits or dies, so a crash never leaves a stale lock behind.
//
// How, without a native addon: SQLite itself takes OS file locks (POSIX fcntl locks on Unix,
// LockFileEx on Windows), and in `locking_mode = EXCLUSIVE` a connection that has written keeps
// its exclusive lock until it closes. So the engine opens a small lock database next to its file
// (`nimbus.sqlite.lock`), writes to it once, and keeps that connection open for its lifetime.
// Another process (or another engine in this process: SQLite tracks locks per file across
// connections) gets SQLITE_BUSY at once. Locking the lock file rather than the data file keeps the
// data file's own WAL locking, which its two connections (reader and writer thread) rely on,
// untouched. The alternatives: `proper-lockfile` and friends use a lock directory with a staleness
// timeout (a crash leaves a lock that must age out, and a slow holder can be declared dead);
// `flock` bindings (fs-ext, os-lock) are native addons.
//
// The holder writes who it is (pid, host, command, start time) to `nimbus.sqlite.lock.json`, so a
// refused process can name it; that file is information only, never the lock.
import fs from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export class DatabaseInUseError extends Error {}

export class ProcessLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly infoFile: string,
  ) {}

  /** Takes the lock of database `file`, or throws DatabaseInUseError naming the holder. */
  static acquire(file: string, command = process.argv.slice(2, 3).join(' ') || 'node'): ProcessLock {
    const lockFile = `${file}.lock`;
    const infoFile = `${lockFile}.json`;
    const db = new Database(lockFile);
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      // The first write takes the exclusive lock; EXCLUSIVE mode keeps it after the commit.
      db.exec('CREATE TABLE IF NOT EXISTS held (n INTEGER); INSERT INTO held VALUES (1); DELETE FROM held');
    } catch (e) {
      db.close();
      if ((e as { code?: string }).code === 'SQLITE_BUSY' || (e as { code?: string }).code === 'SQLITE_LOCKED') {
        throw new DatabaseInUseError(inUseMessage(file, readHolder(infoFile)));
      }
      throw e;
    }
    const holder: LockHolder = { pid: process.pid, host: os.hostname(), command, since: new Date().toISOString() };
    fs.writeFileSync(infoFile, `${JSON.stringify(holder)}\n`);
    return new ProcessLock(db, infoFile);
  }

  release(): void {
    if (!this.db.open) return;
    fs.rmSync(this.infoFile, { force: true });
    this.db.close();
  }
}

function readHolder(infoFile: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** On this host, whether the recorded process still runs (it may be a holder that died, whose
 * record the new holder has not replaced yet). */
function alive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

function inUseMessage(file: string, holder: LockHolder | undefined): string {
  const who =
    holder && alive(holder)
      ? `process ${holder.pid} on ${holder.host} (nimbus-fhir ${holder.command}, since ${holder.since})`
      : 'another process that has just started (it has not recorded itself yet)';
  return (
    `the SQLite database ${file} is in use by ${who}. ` +
    'The embedded SQLite engine serves one process per data directory: stop that process first (import and export need the server stopped), ' +
    'or, to run several server processes over one database, use MongoDB (NIMBUS_ENGINE=mongodb; see docs/scale-out.md).'
  );
}
