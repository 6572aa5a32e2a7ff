// The one contract both storage engines (sqlite/, mongo/) honour. The layers above never see SQL or
// BSON: they hand over versions with their IndexValues, and SearchPlans, and get versions back.
import type { IndexValues } from '../search/index-values';
import type { SearchPlan, SearchResult } from '../search/plan';
import type { ResourceVersion, VersionWrite } from './version';

export type { ResourceVersion, VersionWrite } from './version';
export { engineErrors, LOST_RACE_CODES } from './engine-errors';

export interface HistoryQuery {
  /** Absent: system-level history. */
  resourceType?: string;
  /** With resourceType: instance-level history. */
  id?: string;
  /** Only versions with lastUpdated >= since (inclusive, ISO instant). */
  since?: string;
  /** R4 `_at`: only versions that were current at some point during `[start, end)` (ISO
   * instants; an instant is the period `[t, t + 1 ms)`). */
  at?: { start: string; end: string };
  count: number;
  /** Opaque cursor from a previous page (newest first ordering). */
  cursor?: string;
}

export interface HistoryPage {
  versions: ResourceVersion[];
  /** Number of versions matching the query (all pages); absent when it cannot be told (e.g. an
   * access policy left versions out of the page). */
  total?: number;
  /** Present when there is a further page. */
  nextCursor?: string;
}

export interface ScanOptions {
  resourceType: string;
  /** Only resources whose current version was written at or after this instant. */
  since?: string;
  /** Rows fetched per round trip; engines stream, never load a whole type. */
  batchSize?: number;
}

/** Operations that read, available both inside and outside a transaction. */
export interface EngineReader {
  /** Current version (possibly a delete marker), or undefined if the id was never written. */
  read(resourceType: string, id: string): Promise<ResourceVersion | undefined>;
  vread(resourceType: string, id: string, versionId: number): Promise<ResourceVersion | undefined>;
  search(plan: SearchPlan): Promise<SearchResult>;
}

/** Inside a transaction: reads see the transaction's own writes; writes commit all-or-nothing. */
export interface EngineTransaction extends EngineReader {
  /** Stores a new version and makes it current (replacing the index values of the previous one).
   * The caller has already checked version ordering; engines still refuse a duplicate versionId. */
  write(version: VersionWrite): Promise<void>;
}

export interface TransactionOptions {
  /** A Bundle transaction must be atomic; engines that cannot guarantee it refuse instead. */
  requireAtomic?: boolean;
}

export interface Engine extends EngineReader {
  readonly kind: 'sqlite' | 'mongodb';
  /** Human-readable location for the start-up banner (file path, or URI without credentials). */
  readonly location: string;
  /** Whether multi-document transactions are truly atomic on this deployment. */
  readonly atomicTransactions: boolean;
  transaction<T>(fn: (tx: EngineTransaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  history(query: HistoryQuery): Promise<HistoryPage>;
  /** Streams the current, non-deleted resources of one type. */
  scan(options: ScanOptions): AsyncIterable<ResourceVersion>;
  /** Throws when the database is unusable (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Counters of the write path, for /metrics; engines without a write queue leave it out. */
  writeStatistics?(): WriteStatistics;
}

/** Cumulative since start, except `queued`. */
export interface WriteStatistics {
  /** Transactions waiting for their turn now. */
  queued: number;
  /** Groups committed (one fsync each) and the transactions they carried. */
  groups: number;
  transactions: number;
  /** Groups that failed in the database (disk full, I/O error): their callers got errors. */
  failedGroups: number;
  /** Time callers waited for commits after their group was prepared, summed over groups. */
  commitWaitSeconds: number;
}
