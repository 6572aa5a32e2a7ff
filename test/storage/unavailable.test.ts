// Which engine errors are a 503 (the database cannot serve now but will again) and which stay
// errors of their own: the classification storage/unavailable.ts makes for the error middleware.
// Errors are built as the drivers build them (names, codes, labels); the outages themselves are
// caused for real in test/rest/unavailable.test.ts.
import { FhirError } from '../../src/fhir/errors';
import { unavailableFrom } from '../../src/storage/unavailable';

const withCode = (code: string | number, name = 'Error') => Object.assign(new Error('x'), { code, name });

describe('unavailableFrom', () => {
  it.each(['SQLITE_FULL', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_CANTOPEN', 'SQLITE_NOMEM'])(
    'maps %s to 503 with Retry-After',
    (code) => {
      const e = unavailableFrom(withCode(code, 'SqliteError'));
      expect(e?.status).toBe(503);
      expect(e?.issues[0].code).toBe('transient');
      expect(Number(e?.headers['Retry-After'])).toBeGreaterThan(0);
    },
  );

  it('asks for a longer wait when an operator must act (disk full, read-only)', () => {
    expect(Number(unavailableFrom(withCode('SQLITE_FULL'))!.headers['Retry-After'])).toBeGreaterThan(Number(unavailableFrom(withCode('SQLITE_BUSY'))!.headers['Retry-After']));
  });

  it.each(['MongoServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoNotConnectedError', 'MongoPoolClearedError'])('maps %s to 503', (name) => {
    expect(unavailableFrom(Object.assign(new Error('x'), { name }))?.status).toBe(503);
  });

  it('maps MongoDB server errors of a stepping-down or shutting-down node, and transient labels', () => {
    expect(unavailableFrom(withCode(10107, 'MongoServerError'))?.status).toBe(503); // NotWritablePrimary
    expect(unavailableFrom(withCode(91, 'MongoServerError'))?.status).toBe(503); // ShutdownInProgress
    expect(unavailableFrom(Object.assign(new Error('x'), { name: 'MongoServerError', code: 1, errorLabels: ['RetryableWriteError'] }))?.status).toBe(503);
  });

  it('leaves every other error alone (constraint violations, corruption, bugs, FhirErrors)', () => {
    expect(unavailableFrom(withCode('SQLITE_CONSTRAINT_UNIQUE'))).toBeUndefined();
    expect(unavailableFrom(withCode('SQLITE_CORRUPT'))).toBeUndefined();
    expect(unavailableFrom(withCode(11000, 'MongoServerError'))).toBeUndefined(); // duplicate key
    expect(unavailableFrom(new TypeError('x'))).toBeUndefined();
    expect(unavailableFrom(new FhirError(409, 'CONFLICT', []))).toBeUndefined();
    expect(unavailableFrom(undefined)).toBeUndefined();
  });
});
