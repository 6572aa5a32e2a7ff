// The embedded storage engine on better-sqlite3: one write connection (writers queue on a mutex,
// each write is one SQLite transaction) and one read connection that, in WAL mode, reads the last
// committed snapshot without waiting for writers. synchronous=FULL makes an acknowledged commit
// survive power loss and kill -9.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  Engine,
  EngineTransaction,
  HistoryPage,
  HistoryQuery,
  ResourceVersion,
  ScanOptions,
  TransactionOptions,
  VersionWrite,
} from '../engine';
import type { SearchPlan, SearchResult } from '../../search/plan';
import { Mutex } from '../../util/mutex';
import { toVersion, type VersionRow } from './rows';
import { FhirError } from '../../fhir/errors';
import { migrate, type Migration, MIGRATIONS } from './migrations';
import { SqliteSearchIndex } from './search/execute';

/**
 * The text of a version: the current version's lives only in `resources` (versions.json is NULL
 * until the version is superseded and archived), so a create writes its JSON once, not twice.
 * Needs `resources r` joined on the version's rid.
 */
const VERSION_JSON = 'COALESCE(v.json, CASE WHEN r.version = v.version THEN r.json END)';

/** SQLite's own limits on one statement (expression depth, bound variables, LIKE pattern size)
 * are reached only by very large client queries: they are the client's to simplify, not a 500. */
const QUERY_LIMIT_ERRORS = /Expression tree is too large|too many SQL variables|parser stack overflow|LIKE or GLOB pattern too complex|string or blob too big|too many terms in compound SELECT/;

function withQueryLimits<T>(run: () => T): T {
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
    const rows = (db.prepare('SELECT count(*) AS n FROM versions').get() as { n: number }).n;
    const analysed = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").get() !== undefined;
    this.threshold = nextThreshold(rows);
    if (rows > 0 && !analysed) this.analyze(rows);
  }

  written(versions: number): void {
    this.sinceAnalyze += versions;
    if (this.sinceAnalyze >= this.threshold) this.analyze((this.db.prepare('SELECT count(*) AS n FROM versions').get() as { n: number }).n);
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

/** Most transactions committed together; bounds the latency a group adds to its first member. */
const MAX_GROUP = 256;

interface PendingTransaction {
  fn: (tx: EngineTransaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}


export interface SqliteEngineOptions {
  /** Database file; ':memory:' is refused because the read connection could not see it. */
  file: string;
  migrations?: Migration[];
}


function openDatabase(file: string, readonly: boolean): Database.Database {
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

/** Prepared statements over one connection, shared by the reader and the transaction views. */
class Statements {
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

export class SqliteEngine implements Engine {
  readonly kind = 'sqlite' as const;
  readonly atomicTransactions = true;
  readonly location: string;
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly writeStmts: Statements;
  private readonly readStmts: Statements;
  private readonly insertResource;
  private readonly updateResource;
  private readonly insertVersion;
  private readonly archiveCurrent;
  private readonly index: SqliteSearchIndex;
  private readonly readIndex: SqliteSearchIndex;
  private readonly mutex = new Mutex();
  private readonly pending: PendingTransaction[] = [];
  private committing = false;
  private readonly statistics: PlannerStatistics;
  private closed = false;

  constructor(options: SqliteEngineOptions) {
    if (options.file === ':memory:') throw new Error('the SQLite engine needs a file (two connections share it)');
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    this.location = options.file;
    this.writer = openDatabase(options.file, false);
    migrate(this.writer, options.migrations ?? MIGRATIONS);
    this.statistics = new PlannerStatistics(this.writer);
    this.reader = openDatabase(options.file, true);
    this.writeStmts = new Statements(this.writer);
    this.readStmts = new Statements(this.reader);
    this.insertResource = this.writer.prepare(
      'INSERT INTO resources (type, id, version, last_updated, deleted, json) VALUES (@type, @id, @version, @last_updated, @deleted, @json)',
    );
    this.updateResource = this.writer.prepare(
      'UPDATE resources SET version = @version, last_updated = @last_updated, deleted = @deleted, json = @json WHERE rid = @rid',
    );
    this.archiveCurrent = this.writer.prepare(
      'UPDATE versions SET json = (SELECT r.json FROM resources r WHERE r.rid = @rid) WHERE rid = @rid AND version = @version AND json IS NULL',
    );
    this.insertVersion = this.writer.prepare(
      'INSERT INTO versions (rid, type, id, version, last_updated, deleted, json) VALUES (@rid, @type, @id, @version, @last_updated, @deleted, @json)',
    );
    this.index = new SqliteSearchIndex(this.writer);
    this.readIndex = new SqliteSearchIndex(this.reader);
  }

  async read(resourceType: string, id: string): Promise<ResourceVersion | undefined> {
    const row = this.readStmts.read.get(resourceType, id);
    return row && toVersion(row);
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<ResourceVersion | undefined> {
    const row = this.readStmts.vread.get(resourceType, id, versionId);
    return row && toVersion(row);
  }

  async search(plan: SearchPlan): Promise<SearchResult> {
    return withQueryLimits(() => this.readIndex.search(plan));
  }

  /**
   * Group commit: transactions that arrive while another group is being written queue up, and the
   * next group runs them all inside one SQLite transaction, each in its own SAVEPOINT (a failing
   * one is rolled back alone). One fsync then covers the whole group, which is what lets
   * synchronous=FULL sustain thousands of acknowledged writes per second. Every caller is answered
   * only after COMMIT, so an acknowledged write is durable.
   */
  transaction<T>(fn: (tx: EngineTransaction) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn: fn as (tx: EngineTransaction) => Promise<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.committing) void this.commitGroups();
    });
  }

  private async commitGroups(): Promise<void> {
    this.committing = true;
    try {
      while (this.pending.length) {
        // A commit blocks the event loop while the disk syncs, so requests that arrived meanwhile
        // are still unread sockets: let the poll phase run once so they can join this group.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const group = this.pending.splice(0, MAX_GROUP);
        await this.mutex.run(() => this.commitGroup(group));
      }
    } finally {
      this.committing = false;
    }
  }

  private async commitGroup(group: PendingTransaction[]): Promise<void> {
    if (this.closed) {
      for (const job of group) job.reject(new Error('the SQLite engine is closed'));
      return;
    }
    const tx = this.transactionView();
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.writer.exec('BEGIN IMMEDIATE');
      for (const job of group) {
        this.writer.exec('SAVEPOINT tx');
        try {
          const value = await job.fn(tx);
          this.writer.exec('RELEASE tx');
          outcomes.push({ ok: true, value });
        } catch (e) {
          this.writer.exec('ROLLBACK TO tx');
          this.writer.exec('RELEASE tx');
          this.index.rolledBack();
          outcomes.push({ ok: false, value: e });
        }
      }
      this.writer.exec('COMMIT');
      this.index.committed();
    } catch (e) {
      if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
      this.index.rolledBack();
      for (const job of group) job.reject(e);
      return;
    }
    group.forEach((job, i) => (outcomes[i].ok ? job.resolve(outcomes[i].value) : job.reject(outcomes[i].value)));
    this.statistics.written(this.writtenInGroup);
    this.writtenInGroup = 0;
  }

  private transactionView(): EngineTransaction {
    const stmts = this.writeStmts;
    return {
      read: async (type, id) => {
        const row = stmts.read.get(type, id);
        return row && toVersion(row);
      },
      vread: async (type, id, vid) => {
        const row = stmts.vread.get(type, id, vid);
        return row && toVersion(row);
      },
      search: async (plan) => withQueryLimits(() => this.index.search(plan)),
      write: async (v) => this.writeVersion(v),
    };
  }

  private writtenInGroup = 0;

  private writeVersion(v: VersionWrite): void {
    this.writtenInGroup++;
    const current = this.writeStmts.ridOf.get(v.resourceType, v.id);
    if (current && v.versionId <= current.version) {
      throw new Error(`version ${v.versionId} of ${v.resourceType}/${v.id} is not newer than ${current.version}`);
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
    // A rid is never reused (resources rows are never deleted), so a new row has no index rows.
    this.index.replace(rid, v.deleted ? undefined : v.index, !current, v.resourceType);
  }

  async history(q: HistoryQuery): Promise<HistoryPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.resourceType) {
      where.push('v.type = ?');
      params.push(q.resourceType);
    }
    if (q.id) {
      where.push('v.id = ?');
      params.push(q.id);
    }
    if (q.since) {
      where.push('v.last_updated >= ?');
      params.push(q.since);
    }
    if (q.at) {
      // Current at some point of [start, end): written before the end, and not replaced by the start.
      where.push('v.last_updated < ?');
      where.push('NOT EXISTS (SELECT 1 FROM versions n WHERE n.rid = v.rid AND n.version > v.version AND n.last_updated <= ?)');
      params.push(q.at.end, q.at.start);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.reader.prepare(`SELECT count(*) AS n FROM versions v ${filter}`).get(...params) as { n: number }).n;
    const pageWhere = [...where];
    const pageParams = [...params];
    if (q.cursor !== undefined) {
      const seq = Number(q.cursor);
      if (!Number.isSafeInteger(seq)) throw new Error('bad cursor');
      pageWhere.push('v.seq < ?');
      pageParams.push(seq);
    }
    const rows = this.reader
      .prepare(
        `SELECT v.seq, v.type, v.id, v.version, v.last_updated, v.deleted, ${VERSION_JSON} AS json
         FROM versions v JOIN resources r ON r.rid = v.rid ${
          pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''
        } ORDER BY v.seq DESC LIMIT ?`,
      )
      .all(...pageParams, q.count + 1) as (VersionRow & { seq: number })[];
    const more = rows.length > q.count;
    const page = more ? rows.slice(0, q.count) : rows;
    return {
      versions: page.map(toVersion),
      total,
      ...(more ? { nextCursor: String(page[page.length - 1].seq) } : {}),
    };
  }

  async *scan(options: ScanOptions): AsyncIterable<ResourceVersion> {
    const batch = options.batchSize ?? 1000;
    const stmt = this.reader.prepare<unknown[], VersionRow & { rid: number }>(
      `SELECT rid, type, id, version, last_updated, deleted, json FROM resources
       WHERE type = ? AND deleted = 0 AND rid > ? ${options.since ? 'AND last_updated >= ?' : ''} ORDER BY rid LIMIT ?`,
    );
    let after = 0;
    for (;;) {
      const rows = options.since ? stmt.all(options.resourceType, after, options.since, batch) : stmt.all(options.resourceType, after, batch);
      for (const row of rows) yield toVersion(row);
      if (rows.length < batch) return;
      after = rows[rows.length - 1].rid;
    }
  }

  async ping(): Promise<void> {
    this.reader.prepare('SELECT 1').get();
    this.writer.prepare('SELECT count(*) FROM resources WHERE rid = -1').get();
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.reader.close();
      this.writer.close();
    });
  }
}
