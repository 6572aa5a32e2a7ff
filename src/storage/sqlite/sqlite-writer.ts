// The write connection and everything done on it: transactions with one savepoint per engine
// transaction (group commit, see group-commit.ts), storing versions with their index rows, the
// searches a transaction makes (they must see its own writes), and the planner statistics.
// Synchronous, like better-sqlite3 itself; it runs on the writer thread (writer-thread.ts), so
// its inserts and its commit fsync no longer hold up the main thread's HTTP work.
import type Database from 'better-sqlite3';
import type { ResourceVersion, VersionWrite } from '../engine';
import type { SearchPlan, SearchResult } from '../../search/plan';
import { toVersion } from './rows';
import { openDatabase, VersionStatements, withQueryLimits } from './connection';
import { SqliteSearchIndex } from './search/execute';
import { engineErrors } from '../engine-errors';
import { SystemDocumentWrites } from './system-writes';

/**
 * Keeps SQLite's query-planner statistics (ANALYZE, sqlite_stat1) in step with a growing database.
 * Without them the planner cannot tell a 0.2 %-selective code from a resource type and scans every
 * resource of the type (measured at 100k: a code search 11 ms → 0.3 ms, a chained search 5 s →
 * 22 ms once analysed). ANALYZE is sampled (analysis_limit), ~80 ms at 100k resources, and rerun
 * whenever the data has grown by a quarter since the last run, so its cost stays logarithmic.
 */
class PlannerStatistics {
  private sinceAnalyze = 0;
  private threshold: number;

  constructor(private readonly db: Database.Database) {
    const rows = this.versions();
    const analysed = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get() !== undefined;
    this.threshold = nextThreshold(rows);
    if (rows > 0 && !analysed) this.analyze(rows);
  }

  written(versions: number): void {
    this.sinceAnalyze += versions;
    if (this.sinceAnalyze >= this.threshold) this.analyze(this.versions());
  }

  private versions(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM versions').get() as { n: number }).n;
  }

  private analyze(rows: number): void {
    this.db.pragma('analysis_limit = 400');
    this.db.exec('ANALYZE');
    this.sinceAnalyze = 0;
    this.threshold = nextThreshold(rows);
  }
}

function nextThreshold(rows: number): number {
  return Math.max(1000, Math.floor(rows / 4));
}

export class SqliteWriter {
  private readonly db: Database.Database;
  private readonly stmts: VersionStatements;
  private readonly insertResource;
  private readonly updateResource;
  private readonly insertVersion;
  private readonly archiveCurrent;
  private readonly rewriteResource;
  private readonly rewriteArchived;
  private readonly deleteVersions;
  private readonly deleteResource;
  private readonly index: SqliteSearchIndex;
  private readonly statistics: PlannerStatistics;
  private writtenInTransaction = 0;
  private systemWrites?: SystemDocumentWrites;
  private readonly hasSystemDocuments: boolean;

  /** The schema must already be migrated (the engine does it before starting this writer). */
  constructor(file: string) {
    this.db = openDatabase(file, false);
    this.statistics = new PlannerStatistics(this.db);
    this.stmts = new VersionStatements(this.db);
    this.insertResource = this.db.prepare(
      'INSERT INTO resources (type, id, version, last_updated, deleted, json) VALUES (@type, @id, @version, @last_updated, @deleted, @json)',
    );
    this.updateResource = this.db.prepare(
      'UPDATE resources SET version = @version, last_updated = @last_updated, deleted = @deleted, json = @json WHERE rid = @rid',
    );
    this.archiveCurrent = this.db.prepare(
      'UPDATE versions SET json = (SELECT r.json FROM resources r WHERE r.rid = @rid) WHERE rid = @rid AND version = @version AND json IS NULL',
    );
    this.insertVersion = this.db.prepare(
      'INSERT INTO versions (rid, type, id, version, last_updated, deleted, json) VALUES (@rid, @type, @id, @version, @last_updated, @deleted, @json)',
    );
    // rewriteCurrent: the current version's text lives only in `resources` (see VERSION_JSON),
    // so vread of that version sees the new text too; a version row that kept its own copy is
    // updated as well.
    this.rewriteResource = this.db.prepare('UPDATE resources SET json = @json WHERE rid = @rid AND version = @version AND deleted = 0');
    this.rewriteArchived = this.db.prepare('UPDATE versions SET json = @json WHERE rid = @rid AND version = @version AND json IS NOT NULL');
    this.deleteVersions = this.db.prepare('DELETE FROM versions WHERE rid = ?');
    this.deleteResource = this.db.prepare('DELETE FROM resources WHERE rid = ?');
    this.index = new SqliteSearchIndex(this.db);
    this.hasSystemDocuments = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'system_documents'").get() !== undefined;
  }

  /** Prepared on first use: a schema older than migration 4 has no system_documents. */
  get system(): SystemDocumentWrites {
    return (this.systemWrites ??= new SystemDocumentWrites(this.db));
  }

  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
    if (this.hasSystemDocuments) this.system.purgeExpired();
  }

  /** Each engine transaction of a group runs inside its own savepoint, so it can fail alone. */
  savepoint(): void {
    this.db.exec('SAVEPOINT tx');
  }

  release(): void {
    this.db.exec('RELEASE tx');
  }

  rollbackToSavepoint(): void {
    this.db.exec('ROLLBACK TO tx');
    this.db.exec('RELEASE tx');
    this.index.rolledBack();
  }

  commit(): void {
    this.db.exec('COMMIT');
    this.index.committed();
  }

  /** After a commit has been acknowledged: refreshes planner statistics once the data has grown
   * enough (an ANALYZE takes ~80 ms at 100k resources; no caller should wait for it). */
  maintain(): void {
    const written = this.writtenInTransaction;
    this.writtenInTransaction = 0;
    this.statistics.written(written);
  }

  /** Abandons the whole open transaction, if any (after a failure). */
  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.index.rolledBack();
    this.writtenInTransaction = 0;
  }

  write(v: VersionWrite): void {
    this.writtenInTransaction++;
    const current = this.stmts.ridOf.get(v.resourceType, v.id);
    if (current && v.versionId <= current.version) {
      throw engineErrors.notNewer(v.resourceType, v.id, v.versionId, current.version);
    }
    const row = {
      type: v.resourceType,
      id: v.id,
      version: v.versionId,
      last_updated: v.lastUpdated,
      deleted: v.deleted ? 1 : 0,
      json: v.deleted ? null : (v.json ?? null),
    };
    let rid: number;
    if (current) {
      rid = current.rid;
      // The superseded version keeps its text in `versions` from now on (see VERSION_JSON).
      this.archiveCurrent.run({ rid, version: current.version });
      this.updateResource.run({ ...row, rid });
    } else {
      rid = Number(this.insertResource.run(row).lastInsertRowid);
    }
    this.insertVersion.run({ ...row, rid, json: null });
    // A new rid has no index rows: an expunge that freed a rid removed its index rows with it.
    this.index.replace(rid, v.deleted ? undefined : v.index, !current, v.resourceType);
  }

  /** The main thread checked that `v` is still the current version (its view includes pending
   * writes); checked again here so a second writer on the file cannot be overwritten. */
  rewrite(v: VersionWrite): void {
    this.writtenInTransaction++;
    const current = this.stmts.ridOf.get(v.resourceType, v.id);
    const params = { rid: current?.rid, version: v.versionId, json: v.json };
    if (!current || current.version !== v.versionId || this.rewriteResource.run(params).changes !== 1) {
      throw engineErrors.concurrentUpdate(v.resourceType, v.id, v.versionId);
    }
    this.rewriteArchived.run(params);
    this.index.replace(current.rid, v.index, false, v.resourceType);
  }

  /** Every row of the resource: versions, index rows, then the current row. Its rid may be
   * reused by a later insert (INTEGER PRIMARY KEY takes max + 1); nothing refers to it any more. */
  expunge(type: string, id: string): void {
    this.writtenInTransaction++;
    const current = this.stmts.ridOf.get(type, id);
    if (!current) return;
    this.deleteVersions.run(current.rid);
    this.index.replace(current.rid, undefined);
    this.deleteResource.run(current.rid);
  }

  vread(type: string, id: string, versionId: number): ResourceVersion | undefined {
    const row = this.stmts.vread.get(type, id, versionId);
    return row && toVersion(row);
  }

  search(plan: SearchPlan): SearchResult {
    return withQueryLimits(() => this.index.search(plan));
  }

  ping(): void {
    this.db.prepare('SELECT count(*) FROM resources WHERE rid = -1').get();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
