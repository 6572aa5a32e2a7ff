// Which engine and driver errors mean "the database cannot serve now, but will again": MongoDB
// unreachable or failing over, SQLite out of disk, locked, read-only or failing I/O. The error
// middleware (and batch processing) turn them into 503 + Retry-After with a `transient`
// OperationOutcome instead of a 500. Recognised by name and code, so that no layer above needs a
// driver import, and so that errors travelling from the SQLite writer thread (plain Errors with
// their `code`) are recognised too.
import { errors, FhirError } from '../fhir/errors';

/** SQLite result codes (primary and extended, e.g. SQLITE_IOERR_WRITE) of conditions that pass. */
const SQLITE_TRANSIENT = /^SQLITE_(FULL|BUSY|LOCKED|READONLY|IOERR|CANTOPEN|NOMEM|PROTOCOL)(_|$)/;
const SQLITE_NEEDS_OPERATOR = /^SQLITE_(FULL|READONLY|CANTOPEN)/;

/** Driver errors of a server that cannot be reached or whose connection broke. */
const MONGO_UNREACHABLE = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

/** Server error codes of a node shutting down, stepping down or not being primary. */
const MONGO_TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435, 13436]);
const MONGO_TRANSIENT_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'ResetPool', 'SystemOverloadedError'];

/** Seconds a client should wait: a failover or restart takes seconds; a full or read-only disk needs an operator. */
const RETRY_SOON = 5;
const RETRY_LATER = 60;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  errorLabels?: unknown;
}

/** The 503 for an engine error that is transient, or undefined for any other error. */
export function unavailableFrom(e: unknown): FhirError | undefined {
  if (e instanceof FhirError || !e || typeof e !== 'object') return undefined;
  const { name, code, errorLabels } = e as ErrorLike;
  if (typeof code === 'string' && SQLITE_TRANSIENT.test(code)) {
    const operator = SQLITE_NEEDS_OPERATOR.test(code);
    return errors.unavailable(`The database cannot be written or read right now (${sqliteCondition(code)}); nothing of this request was stored. Retry later.`, operator ? RETRY_LATER : RETRY_SOON);
  }
  const labels = Array.isArray(errorLabels) ? (errorLabels as unknown[]) : [];
  if (
    (typeof name === 'string' && MONGO_UNREACHABLE.has(name)) ||
    (typeof code === 'number' && MONGO_TRANSIENT_CODES.has(code)) ||
    MONGO_TRANSIENT_LABELS.some((l) => labels.includes(l))
  ) {
    return errors.unavailable('The database is unreachable or changing primary; retry in a few seconds.', RETRY_SOON);
  }
  return undefined;
}

function sqliteCondition(code: string): string {
  if (code.startsWith('SQLITE_FULL')) return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY')) return 'the database file is read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'the database is locked by another process';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'the database file cannot be opened';
  if (code.startsWith('SQLITE_NOMEM')) return 'out of memory';
  return 'an I/O error';
}
