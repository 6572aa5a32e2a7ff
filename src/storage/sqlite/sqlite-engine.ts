// The embedded storage engine on better-sqlite3. Two connections to one WAL-mode file: the read
// connection, on the main thread, answers reads and searches from the last committed snapshot
// without waiting for writers; the write connection lives on a writer thread (sqlite-writer.ts),
// fed by group commit (group-commit.ts), so inserts and commit fsyncs run beside the main thread's
// HTTP, validation and indexing work. synchronous=FULL makes an acknowledged commit survive power
// loss and kill -9.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type {
  LatestQuery,
  NumericStats,
  NumericStatsQuery,
  AnswerHistogram,
  AnswerHistogramQuery,
  AggregateQuery,
  AggregateResult,
  Engine,
  EngineTransaction,
  ExpungeCondition,
  HistoryPage,
  HistoryQuery,
  ReadOptions,
  ResourceVersion,
  ScanOptions,
  ScanPage,
  ScanPageQuery,
  StorageCheck,
  TransactionOptions,
  VersionWrite,
  WriteStatistics,
} from '../engine';
import type { SearchPlan, SearchResult } from '../../search/plan';
import { toVersion, type VersionRow } from './rows';
import { migrate, type Migration, MIGRATIONS } from './migrations';
import { SqliteSearchIndex } from './search/execute';
import { openDatabase, VERSION_JSON, VersionStatements, withQueryLimits } from './connection';
import { WriterChannel } from './writer-channel';
import { GroupCommit } from './group-commit';
import { SqliteSystemStore } from './system-store';
import { runAggregate } from './aggregate';
import { runLatest } from './latest';
import { runNumericStats } from './numeric-stats';
import { runAnswerHistogram } from './answer-histogram';
import { SqliteFileStore } from './file-store';
import { checkRewrite } from '../system-documents';
import { ProcessLock } from './process-lock';
import { engineErrors } from '../engine-errors';
import { checkSqliteStorage, readStoredIndex } from './check';
import type { IndexValues } from '../../search/index-values';

export interface SqliteEngineOptions {
  /** Database file; ':memory:' is refused because the read connection could not see it. */
  file: string;
  migrations?: Migration[];
}

export class SqliteEngine implements Engine {
  readonly kind = 'sqlite' as const;
  readonly atomicTransactions = true;
  readonly location: string;
  private readonly reader: Database.Database;
  private readonly readStmts: VersionStatements;
  private readonly readIndex: SqliteSearchIndex;
  private readonly writer: WriterChannel;
  private readonly commits: GroupCommit;
  readonly system: SqliteSystemStore;
  readonly files: SqliteFileStore;
  private readonly lock: ProcessLock;
  private closed = false;

  constructor(options: SqliteEngineOptions) {
    if (options.file === ':memory:') throw new Error('the SQLite engine needs a file (two connections share it)');
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    this.location = options.file;
    // One process per database file, before anything touches it (process-lock.ts).
    this.lock = ProcessLock.acquire(options.file);
    try {
      // Migrate before either connection prepares a statement; the writer thread opens its own.
      const migration = openDatabase(options.file, false);
      try {
        migrate(migration, options.migrations ?? MIGRATIONS);
        this.reader = openDatabase(options.file, true);
      } finally {
        migration.close();
      }
    } catch (e) {
      this.lock.release();
      throw e;
    }
    this.readStmts = new VersionStatements(this.reader);
    this.readIndex = new SqliteSearchIndex(this.reader);
    this.writer = new WriterChannel(options.file);
    let system: SqliteSystemStore | undefined;
    this.commits = new GroupCommit(this.writer, {
      version: (type, id) => this.committed(type, id),
      systemRow: (collection, key) => system!.committedRow(collection, key),
    });
    this.system = system = new SqliteSystemStore(this.reader, this.commits);
    this.files = new SqliteFileStore(path.join(path.dirname(options.file), 'files'));
  }

  async read(resourceType: string, id: string): Promise<ResourceVersion | undefined> {
    return this.committed(resourceType, id);
  }

  /** The current version as last committed (what the read connection sees). */
  private committed(type: string, id: string): ResourceVersion | undefined {
    const row = this.readStmts.read.get(type, id);
    return row && toVersion(row);
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<ResourceVersion | undefined> {
    const row = this.readStmts.vread.get(resourceType, id, versionId);
    return row && toVersion(row);
  }

  async search(plan: SearchPlan, options?: ReadOptions): Promise<SearchResult> {
    return withQueryLimits(() => this.readIndex.search(plan, options?.budget));
  }

  /** See group-commit.ts: transactions are grouped, each in its own savepoint, one fsync per group. */
  transaction<T>(fn: (tx: EngineTransaction) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return this.commits.transaction(fn);
  }

  /** A write like any other (group commit, writer thread); decided against committed + pending
   * state, so a transaction reading the resource afterwards sees the rewritten content. */
  async rewriteCurrent(expected: ResourceVersion, next: VersionWrite): Promise<boolean> {
    checkRewrite(expected, next);
    return this.commits.transaction(async (tx) => tx.rewriteCurrent(expected, next));
  }

  async expunge(resourceType: string, id: string, condition?: ExpungeCondition): Promise<number> {
    return this.commits.transaction(async (tx) => tx.expunge(resourceType, id, condition));
  }

  async storedIndex(resourceType: string, ids: string[]): Promise<Map<string, IndexValues>> {
    return readStoredIndex(this.reader, resourceType, ids);
  }

  async checkStorage(): Promise<StorageCheck> {
    return checkSqliteStorage(this.reader);
  }

  async aggregate(query: AggregateQuery, options?: ReadOptions): Promise<AggregateResult> {
    options?.budget?.check();
    return withQueryLimits(() => runAggregate(this.reader, query));
  }

  async latest(query: LatestQuery): Promise<ResourceVersion[]> {
    return withQueryLimits(() => runLatest(this.reader, query));
  }

  /** The `resources_type_live (type, deleted, …)` index answers it without reading rows. */
  async typesInUse(): Promise<string[]> {
    return (this.reader.prepare('SELECT DISTINCT type FROM resources WHERE deleted = 0 ORDER BY type').all() as Array<{ type: string }>).map((r) => r.type);
  }

  async numericStats(query: NumericStatsQuery): Promise<NumericStats> {
    return withQueryLimits(() => runNumericStats(this.reader, query));
  }

  async answerHistogram(query: AnswerHistogramQuery, options?: ReadOptions): Promise<AnswerHistogram> {
    options?.budget?.check();
    return withQueryLimits(() => runAnswerHistogram(this.reader, query));
  }

  /** Pages in rid order: a resource keeps its rid across updates, so a job walking the pages
   * meets every resource that existed when it started exactly once. */
  async scanPage(query: ScanPageQuery): Promise<ScanPage> {
    if (!Number.isSafeInteger(query.limit) || query.limit < 1) throw new Error(`scanPage: limit must be a positive integer`);
    const after = query.after === undefined ? 0 : decodeScanCursor(query.after);
    const where = ['type = ?', 'rid > ?'];
    const params: unknown[] = [query.resourceType, after];
    if (!query.includeDeleted) where.push('deleted = 0');
    if (query.since) {
      where.push('last_updated >= ?');
      params.push(query.since);
    }
    const rows = this.reader
      .prepare(`SELECT rid, type, id, version, last_updated, deleted, json FROM resources WHERE ${where.join(' AND ')} ORDER BY rid LIMIT ?`)
      .all(...params, query.limit + 1) as (VersionRow & { rid: number })[];
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    return { versions: page.map(toVersion), ...(more ? { next: encodeScanCursor(page[page.length - 1].rid) } : {}) };
  }

  writeStatistics(): WriteStatistics {
    return this.commits.statistics();
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
      const seq = /^\d{1,15}$/.test(q.cursor) ? Number(q.cursor) : NaN;
      if (!Number.isSafeInteger(seq)) throw engineErrors.badHistoryCursor();
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
    // _count=0 asks for the total only: no entries, and no next page to point at.
    const more = q.count > 0 && rows.length > q.count;
    const page = rows.slice(0, q.count);
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
    await this.writer.request('ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.commits.close();
    // The writer last: the last connection to close checkpoints the WAL into the database file
    // and removes it, which a read-only connection cannot do.
    this.reader.close();
    await this.writer.close();
    this.lock.release();
  }
}

const encodeScanCursor = (rid: number): string => Buffer.from(`rid:${rid}`).toString('base64url');

function decodeScanCursor(cursor: string): number {
  const m = /^rid:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new Error(`scanPage: '${cursor.slice(0, 40)}' is not a cursor this engine issued`);
  return Number(m[1]);
}
