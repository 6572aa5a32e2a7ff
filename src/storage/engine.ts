// The one contract both storage engines (sqlite/, mongo/) honour. The layers above never see SQL or
// BSON: they hand over versions with their IndexValues, and SearchPlans, and get versions back.
import type { Predicate, SearchPlan, SearchResult } from '../search/plan';
import type { IndexValues } from '../search/index-values';
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

/**
 * The time and the cancellation of the request a read works for (context/budget.ts builds it).
 * SQLite runs statements synchronously on the main thread and better-sqlite3 offers no progress
 * handler or interrupt, so its engine checks the budget between statements (count, page, each
 * include round, each step of a sort walk); MongoDB gets what remains as `maxTimeMS` and the
 * signal, so the database stops too.
 */
export interface WorkBudget {
  /** Throws the reason the work must stop (a FhirError: 503 time budget spent, 499 client gone). */
  check(): void;
  /** Milliseconds left (Infinity when the work has no deadline). */
  remainingMs(): number;
  /** Aborts when the work must stop; given to driver calls. */
  readonly signal: AbortSignal;
  /** The error to throw when the database reports that its time limit (from remainingMs) ran out. */
  exceeded(): Error;
}

export interface ReadOptions {
  budget?: WorkBudget;
}

/** Operations that read, available both inside and outside a transaction. */
export interface EngineReader {
  /** Current version (possibly a delete marker), or undefined if the id was never written. */
  read(resourceType: string, id: string): Promise<ResourceVersion | undefined>;
  vread(resourceType: string, id: string, versionId: number): Promise<ResourceVersion | undefined>;
  search(plan: SearchPlan, options?: ReadOptions): Promise<SearchResult>;
}

/** Inside a transaction: reads see the transaction's own writes; writes commit all-or-nothing. */
export interface EngineTransaction extends EngineReader {
  /** Stores a new version and makes it current (replacing the index values of the previous one).
   * The caller has already checked version ordering; engines still refuse a duplicate versionId. */
  write(version: VersionWrite): Promise<void>;
  /**
   * Serialises this transaction, until it ends, with every other transaction (in any server
   * process) that claims the same name — e.g. conditional creates and updates with the same
   * criteria, which would otherwise all see "no match" and all create. Engines whose transactions
   * already run one at a time (SQLite) do nothing; MongoDB takes a lock, or writes the name in
   * its transaction so that concurrent claimants conflict and retry.
   */
  claim(name: string): Promise<void>;
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
  /** One page of the current versions of a type in a stable order, for long jobs that must resume
   * from a checkpoint (the opaque `after` cursor survives a restart). Deleted resources only with
   * includeDeleted. */
  scanPage(query: ScanPageQuery): Promise<ScanPage>;
  /** Replaces the stored JSON and the index values of the CURRENT version in place — no new
   * version; versionId and lastUpdated stay — iff the current version is still `expected` (same
   * versionId and same JSON text). False when it changed meanwhile (nothing written). vread of that
   * version returns the new content too. Used by $reindex (same JSON, new index values) and by
   * $meta-add/$meta-delete (which by this server's choice create no new version). `next` must
   * name the same resource, versionId and lastUpdated as `expected`, and neither may be a delete. */
  rewriteCurrent(expected: ResourceVersion, next: VersionWrite): Promise<boolean>;
  /** Permanently removes one resource: every version, the current one (or its delete marker)
   * included, and its index values — afterwards read, vread, history and search know nothing of
   * it (a read is 404, as for an id never written). Only when `condition` holds for the current
   * version at the moment of removal, decided atomically with it, so a concurrent writer either
   * wrote before (and the condition sees its version) or writes afterwards (a new resource).
   * Resolves to the number of versions removed; 0 when the resource does not exist or the
   * condition did not hold (nothing removed). */
  expunge(resourceType: string, id: string, condition?: ExpungeCondition): Promise<number>;
  /** Counts inside the database (never by loading resources into JS): the resources of
   * `resourceTypes` (empty = all) matching `where` (SearchPlan predicates — the caller's access
   * policy arrives this way), grouped by the index entries of one parameter; a resource with
   * several values counts once in each of its groups. Largest count first, ties by key. */
  aggregate(query: AggregateQuery, options?: ReadOptions): Promise<AggregateResult>;
  /** "Latest N per group" inside the database ($lastn): of the resources of one type matching
   * `where`, the `max` most recent per group (see LatestQuery). */
  latest(query: LatestQuery): Promise<ResourceVersion[]>;
  /** The resource types that have at least one live (not deleted) resource, from an index; lets
   * whole-store walks ($export) skip the ~140 empty R4 types without a query each. */
  typesInUse(): Promise<string[]>;
  /** Numeric statistics inside the database over one number/quantity parameter's values (see
   * NumericStatsQuery). */
  numericStats(query: NumericStatsQuery): Promise<NumericStats>;
  /** Answer counts of QuestionnaireResponses inside the database ($aggregate; see AnswerHistogramQuery). */
  answerHistogram(query: AnswerHistogramQuery, options?: ReadOptions): Promise<AnswerHistogram>;
  /** Small JSON documents the server keeps for itself beside the FHIR data. */
  readonly system: SystemStore;
  /** For `nimbus-fhir check`: the IndexValues stored for these resources of one type (current
   * versions, delete markers included), decoded back into IndexValues without sort keys; a
   * resource with no stored entries maps to empty kinds, an unknown id is left out. */
  storedIndex(resourceType: string, ids: string[]): Promise<Map<string, IndexValues>>;
  /** For `nimbus-fhir check`: what only the engine itself can verify (SQLite integrity_check,
   * rows that point at no resource; MongoDB `validate` where the server has it). */
  checkStorage(): Promise<StorageCheck>;
  /** Files the server produces (Bulk Data export NDJSON), readable by every server process. */
  readonly files: FileStore;
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

export interface StorageCheck {
  /** Each problem found, readable by an operator; empty when none. */
  problems: string[];
  /** What was checked (and what could not be, on this deployment). */
  notes: string[];
}

export interface ExpungeCondition {
  /** Only a resource whose current version is a delete marker. */
  deleted?: boolean;
  /** With `deleted`: only one deleted before this instant (ISO; the delete's lastUpdated). */
  deletedBefore?: string;
}

/** Whether `current` meets `condition` (shared by the engines so they decide alike). */
export function expungeAllowed(current: ResourceVersion, condition: ExpungeCondition = {}): boolean {
  if (condition.deleted && !current.deleted) return false;
  if (condition.deletedBefore !== undefined && !(current.deleted && current.lastUpdated < condition.deletedBefore)) return false;
  return true;
}

export interface ScanPageQuery {
  resourceType: string;
  /** Opaque cursor: the `next` of the previous page. */
  after?: string;
  limit: number;
  /** Only resources whose current version was written at or after this instant (ISO). */
  since?: string;
  /** Include delete markers (current versions that are deletes). */
  includeDeleted?: boolean;
}

export interface ScanPage {
  versions: ResourceVersion[];
  /** Present when a further page may exist; pass it as `after`. */
  next?: string;
}

// ---- aggregation -------------------------------------------------------------------------------
// Later kinds of grouping (date buckets, number bands) and measures (numeric statistics,
// percentiles, latest-N) extend these types; each engine compiles them in storage/*/aggregate.ts.

/**
 * The answers of the QuestionnaireResponses matching `where`, counted in the database: for each
 * top-level item (linkId) that carries no text answer, how many answers of each value were given;
 * for each item that carries a text answer (valueString), how many responses gave one. A repeated
 * answer counts once per answer. Nested items (groups, answer.item) are not counted.
 */
export interface AnswerHistogramQuery {
  where: Predicate[];
}

export interface AnswerHistogram {
  /** Responses matched in all (answered or not). */
  responses: number;
  /** One value of a non-text item: `value` is the answer without nested items ({valueInteger: 4}). */
  answers: Array<{ linkId: string; value: Record<string, unknown>; count: number }>;
  /** Items answered with text: how many responses did. */
  text: Array<{ linkId: string; count: number }>;
}

export interface AggregateQuery {
  resourceTypes: string[];
  where: Predicate[];
  /** token: entries with a code (text-only entries have no group); uri: every entry; reference:
   * entries with a local target or a URL (identifier-only references have no group). */
  groupBy: { param: string; kind: 'token' | 'uri' | 'reference' } | DateBucketGrouping;
  /** Most groups returned (the largest); all when absent. */
  limit?: number;
}

/** Date entries of `param` by the UTC calendar bucket their start (`lo`) falls in; key `value`:
 * `YYYY-MM-DD` (day; week: the Monday starting the ISO week), `YYYY-MM` (month), `YYYY` (year).
 * Entries without a start (open periods) have no bucket. */
export interface DateBucketGrouping {
  param: string;
  kind: 'date';
  bucket: 'day' | 'week' | 'month' | 'year';
}

export interface AggregateGroup {
  /** token: system/code (system null when the entry has none); uri: value; reference: type/id
   * (local) or url (absolute, canonical — without its version — or `#contained`, then with the
   * contained resource's type when known). */
  key: { system?: string | null; code?: string | null; value?: string; type?: string; id?: string; url?: string };
  count: number;
}

export interface AggregateResult {
  groups: AggregateGroup[];
  /** resources matched in all */
  total: number;
}

/**
 * Latest N per group. A group is one token entry (system + code, entries with a code) of
 * `groupBy` — together with one local reference target of `perReference` when given (e.g. per
 * patient); a resource with several codes is in several groups and is answered once. "Most
 * recent" orders by the end of the `orderBy` date parameter (its greatest `hi`, the value a
 * `_sort=-date` search sorts by), resources without that date last, equal dates by id
 * descending. Engines answer in no particular order.
 */
export interface LatestQuery {
  resourceType: string;
  where: Predicate[];
  groupBy: string;
  perReference?: string;
  orderBy: string;
  max: number;
}

/**
 * The values are the `lo` of the index entries of `param` (number or quantity; quantity entries
 * only of `unit` when given) on the resources of `resourceType` matching `where` — one value
 * per entry. With `timeParam`, each value is paired with its resource's time (the least `lo` of
 * that date parameter, in days since the epoch) for a regression of value over time.
 */
export interface NumericStatsQuery {
  resourceType: string;
  where: Predicate[];
  param: string;
  kind: 'number' | 'quantity';
  unit?: { system?: string | null; code: string };
  timeParam?: string;
  /** Instead of `param`'s entries (then `param`, `kind` and `unit` are not used): one value per
   * matched resource, the milliseconds from its `from` date to its `to` date, each the least `lo`
   * (start) of that date parameter's entries on the resource; resources lacking either have no
   * value. Measure observations such as a length of stay or a booking lead time. */
  duration?: { from: string; to: string };
  /** `param` is a composite of a token and a quantity (`component-code-value-quantity`): the values
   * are the quantity components (`lo`; of `unit` when given) of the entries whose token component
   * is this code — e.g. the systolic values of blood-pressure panels. */
  component?: { system?: string | null; code: string };
  /** Exact percentiles wanted, each in [0, 1]: linear interpolation between the closest ranks
   * (R-7 / PERCENTILE.INC): h = (n − 1)·p, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋ + 1] − x[⌊h⌋]). */
  percentiles: number[];
}

export interface NumericStats {
  /** Resources matched (with or without a value), and values counted. */
  resources: number;
  count: number;
  sum: number;
  min?: number;
  max?: number;
  mean?: number;
  /** Central sums Σ(x − mean)^k for k = 2, 3, 4 (computed around the mean, for accuracy). */
  m2: number;
  m3: number;
  m4: number;
  /** One per requested percentile, in order (absent without values). */
  percentiles: number[];
  /** Least-squares fit of value over time (days), over the values that have a time. */
  regression?: { n: number; slope?: number; intercept?: number };
}

// ---- files ---------------------------------------------------------------------------------------

/**
 * Files the server produces, e.g. Bulk Data export NDJSON: written once from a stream of text
 * chunks, read back as a stream, gone after `expiresAt`. Names are `/`-separated segments of
 * `[A-Za-z0-9._-]` (at most 200 characters), the first segment grouping one job's files.
 * SQLite: files under the data directory; MongoDB: chunked documents in the database, so any
 * server process serves any file.
 */
export interface FileStore {
  /** Stores the file (replacing one of that name) and answers its size in bytes; readers see the
   * whole file or none of it. */
  write(name: string, chunks: AsyncIterable<string>, options: { expiresAt: string }): Promise<number>;
  /** The file's text in chunks; undefined when there is no such (unexpired) file. */
  read(name: string): Promise<AsyncIterable<string> | undefined>;
  /** Removes one file (nothing when there is none). */
  remove(name: string): Promise<void>;
  /** Removes every file whose name starts with `prefix/` (a job's files). */
  removeAll(prefix: string): Promise<void>;
  /** Removes expired files (engines may also do it on their own). */
  sweep(now: Date): Promise<void>;
}

// ---- the server's own documents ----------------------------------------------------------------

/** Small JSON documents the server keeps for itself beside the FHIR data (jobs, signing keys,
 * registered clients, launch contexts, refresh tokens, ...). Shared by every server process over
 * one database, so nothing shared lives only in one process's memory. */
export interface SystemDocument<T = unknown> {
  key: string;
  /** 1 on insert, +1 on every replace: the basis of compare-and-set. A key that was deleted (or
   * expired) and inserted again starts at 1 again, so a holder of an old rev must not take a
   * matching rev as proof that the document is still the one it knew: put an owner token in the
   * value when that matters (leases). */
  rev: number;
  value: T;
  /** ISO instant after which the document no longer exists (get/list skip it; engines purge it). */
  expiresAt?: string;
}

export interface SystemWriteOptions {
  /** ISO instant (any offset; stored in UTC with milliseconds). Absent: never expires. */
  expiresAt?: string;
}

/**
 * Collections are names of `[A-Za-z][A-Za-z0-9_-]*` (at most 64 characters); keys are non-empty
 * strings of at most 512 characters, compared code unit by code unit in UTF-8 (so ASCII keys in
 * their natural order). Values are JSON (kept as text: numbers and key order survive). Every
 * method is atomic on its own document; there are no multi-document transactions here.
 */
export interface SystemStore {
  get<T>(collection: string, key: string): Promise<SystemDocument<T> | undefined>;
  /** Creates the document; false (nothing written) when the key exists and has not expired. */
  insert<T>(collection: string, key: string, value: T, options?: SystemWriteOptions): Promise<boolean>;
  /** Replaces the value iff the stored rev is `expectedRev`; false otherwise (nothing written). */
  replace<T>(collection: string, key: string, value: T, expectedRev: number, options?: SystemWriteOptions): Promise<boolean>;
  /** Removes it (only if its rev is `expectedRev`, when given); false when absent or the rev differs. */
  delete(collection: string, key: string, expectedRev?: number): Promise<boolean>;
  /** Documents in key order after `after` (exclusive), keys starting with `prefix`, at most `limit`. */
  list<T>(collection: string, options: { prefix?: string; after?: string; limit: number }): Promise<SystemDocument<T>[]>;
}
