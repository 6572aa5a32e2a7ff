// The MongoDB storage engine: the Engine contract over the official driver, on MongoDB 6/7
// (replica set or sharded: transactional) and FerretDB 1.24 (ordered single-document writes).
import type { ClientSession } from 'mongodb';
import type { SearchPlan, SearchResult } from '../../search/plan';
import type {
  LatestQuery,
  NumericStats,
  NumericStatsQuery,
  AnswerHistogram,
  AnswerHistogramQuery,
  AggregateQuery,
  AggregateResult,
  Engine,
  EngineReader,
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
} from '../engine';
import { checkRewrite } from '../system-documents';
import { runAggregate } from './aggregate';
import { runLatest } from './latest';
import { runNumericStats } from './numeric-stats';
import { runAnswerHistogram } from './answer-histogram';
import { DocumentFileStore } from './file-store';
import { rewriteCurrent } from './rewrite';
import { expungeResource } from './expunge';
import { checkMongoStorage, readStoredIndex } from './check';
import type { IndexValues } from '../../search/index-values';
import { MongoSystemStore } from './system-store';
import { MongoLocks, type LockOptions } from './locks';
import { openSchema, type SchemaOptions } from './schema';
import { connectMongo, type Capabilities, type ConnectOptions, type MongoConnection } from './connection';
import { mongoErrors } from './errors';
import { readHistory, scanPage, scanType } from './history';
import { RESOURCES, VERSIONS, VERSION_PROJECTION, currentKey, toResourceVersion, versionKey, type StoredVersion } from './layout';
import { runSearch } from './search/run';
import { resourceLock, runExclusive, sessionView, type ViewContext } from './transaction-views';

export interface MongoEngineOptions extends ConnectOptions {
  /** Drops the database when the engine closes (tests). */
  dropOnClose?: boolean;
  /** Leases and waits of the locks that serialise writers without transactions (locks.ts). */
  locks?: LockOptions;
  /** Schema migrations (tests inject their own) and the operator log of start-up waits. */
  schema?: SchemaOptions;
}

export class MongoEngine implements Engine {
  readonly kind = 'mongodb' as const;
  readonly location: string;
  readonly atomicTransactions: boolean;
  readonly capabilities: Capabilities;
  readonly system: MongoSystemStore;
  readonly files: DocumentFileStore;
  private readonly locks: MongoLocks;
  private closed = false;
  private readonly knownArity = new Map<string, Partial<Record<string, number>>>();

  private constructor(
    private readonly conn: MongoConnection,
    private readonly dropOnClose: boolean,
    lockOptions: LockOptions = {},
  ) {
    this.location = conn.location;
    this.capabilities = conn.capabilities;
    this.atomicTransactions = conn.capabilities.transactions;
    this.locks = new MongoLocks(conn.db, conn.capabilities, lockOptions);
    this.system = new MongoSystemStore(conn.db, conn.capabilities, this.locks);
    this.files = new DocumentFileStore(this.system);
  }

  /** Connects, detects capabilities, and brings the database to this release's schema (safe when
   * several processes start at once; refuses a newer schema); fails fast when unreachable. */
  static async open(options: MongoEngineOptions): Promise<MongoEngine> {
    const conn = await connectMongo(options);
    const engine = new MongoEngine(conn, options.dropOnClose ?? false, options.locks);
    try {
      await openSchema(conn.db, conn.capabilities, engine.locks, options.schema);
    } catch (e) {
      await conn.client.close().catch(() => undefined);
      throw e;
    }
    return engine;
  }

  read(resourceType: string, id: string): Promise<ResourceVersion | undefined> {
    return this.reader().read(resourceType, id);
  }

  vread(resourceType: string, id: string, versionId: number): Promise<ResourceVersion | undefined> {
    return this.reader().vread(resourceType, id, versionId);
  }

  search(plan: SearchPlan, options?: ReadOptions): Promise<SearchResult> {
    return runSearch({ db: this.conn.db, capabilities: this.capabilities, budget: options?.budget }, plan);
  }

  async transaction<T>(fn: (tx: EngineTransaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.closed) throw new Error('the MongoDB engine is closed');
    if (!this.capabilities.transactions) {
      // Never a silent non-atomic fallback for what the client asked to be atomic.
      if (options.requireAtomic) throw mongoErrors.replicaSetRequired(this.capabilities.ferretdb ? `FerretDB ${this.capabilities.ferretdb}` : this.capabilities.topology);
      return runExclusive(this.viewContext(), this.locks, fn);
    }
    const session = this.conn.client.startSession();
    try {
      let result: T | undefined;
      // withTransaction retries the whole callback on transient errors (write conflicts with a
      // concurrent transaction), so `fn` re-reads and recomputes the versions it writes.
      await session.withTransaction(
        async () => {
          result = await fn(sessionView(this.viewContext(session), session));
        },
        { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority', journal: true }, readPreference: 'primary' },
      );
      return result as T;
    } finally {
      await session.endSession();
    }
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    return readHistory(this.conn.db, query);
  }

  scan(options: ScanOptions): AsyncIterable<ResourceVersion> {
    return scanType(this.conn.db, options);
  }

  scanPage(query: ScanPageQuery): Promise<ScanPage> {
    return scanPage(this.conn.db, query);
  }

  async rewriteCurrent(expected: ResourceVersion, next: VersionWrite): Promise<boolean> {
    checkRewrite(expected, next);
    const { db, capabilities } = this.conn;
    if (!capabilities.transactions) {
      // Serialised with every other writer of the resource: without transactions, an update's
      // filter is no compare-and-set on FerretDB (see locks.ts).
      return this.locks.hold(resourceLock(expected.resourceType, expected.id), () => rewriteCurrent({ db, capabilities, knownArity: this.knownArity }, expected, next));
    }
    // Both documents together; the driver reruns the callback on a transient write conflict.
    const session = this.conn.client.startSession();
    try {
      let done = false;
      await session.withTransaction(
        async () => {
          done = await rewriteCurrent({ db, capabilities, session }, expected, next);
        },
        { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority', journal: true }, readPreference: 'primary' },
      );
      return done;
    } finally {
      await session.endSession();
    }
  }

  storedIndex(resourceType: string, ids: string[]): Promise<Map<string, IndexValues>> {
    return readStoredIndex(this.conn.db, resourceType, ids);
  }

  checkStorage(): Promise<StorageCheck> {
    return checkMongoStorage(this.conn.db);
  }

  async expunge(resourceType: string, id: string, condition?: ExpungeCondition): Promise<number> {
    const { db, capabilities } = this.conn;
    if (!capabilities.transactions) {
      // Every writer of the resource takes the same lock (transaction-views.ts), so the condition
      // is still true when the documents go.
      return this.locks.hold(resourceLock(resourceType, id), () => expungeResource(db, resourceType, id, condition));
    }
    const session = this.conn.client.startSession();
    try {
      let removed = 0;
      await session.withTransaction(
        async () => {
          removed = await expungeResource(db, resourceType, id, condition, session);
        },
        { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority', journal: true }, readPreference: 'primary' },
      );
      return removed;
    } finally {
      await session.endSession();
    }
  }

  aggregate(query: AggregateQuery, options?: ReadOptions): Promise<AggregateResult> {
    return runAggregate({ db: this.conn.db, capabilities: this.capabilities, budget: options?.budget }, query);
  }

  /** See latest.ts (and docs/analytics.md for why not one pipeline). */
  latest(query: LatestQuery): Promise<ResourceVersion[]> {
    return runLatest({ db: this.conn.db, capabilities: this.capabilities }, query);
  }

  /** `distinct` over the live resources (FerretDB and MongoDB alike). */
  async typesInUse(): Promise<string[]> {
    const types = (await this.conn.db.collection(RESOURCES).distinct('t', { d: false })) as string[];
    return types.sort();
  }

  numericStats(query: NumericStatsQuery): Promise<NumericStats> {
    return runNumericStats({ db: this.conn.db, capabilities: this.capabilities }, query);
  }

  answerHistogram(query: AnswerHistogramQuery, options?: ReadOptions): Promise<AnswerHistogram> {
    return runAnswerHistogram({ db: this.conn.db, capabilities: this.capabilities, budget: options?.budget }, query);
  }

  async ping(): Promise<void> {
    await this.conn.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dropOnClose) await this.conn.db.dropDatabase().catch(() => undefined);
    await this.conn.client.close();
  }

  private reader(session?: ClientSession): EngineReader {
    const { db, capabilities } = this.conn;
    return {
      read: async (type, id) => {
        const doc = await db.collection<StoredVersion>(RESOURCES).findOne({ _id: currentKey(type, id) }, { projection: VERSION_PROJECTION, session });
        return doc ? toResourceVersion(doc) : undefined;
      },
      vread: async (type, id, vid) => {
        const doc = await db.collection<StoredVersion>(VERSIONS).findOne({ _id: versionKey(type, id, vid) }, { projection: VERSION_PROJECTION, session });
        return doc ? toResourceVersion(doc) : undefined;
      },
      search: (plan) => runSearch({ db, capabilities, session }, plan),
    };
  }

  private viewContext(session?: ClientSession): ViewContext {
    return { db: this.conn.db, capabilities: this.capabilities, knownArity: this.knownArity, reader: this.reader(session) };
  }
}
