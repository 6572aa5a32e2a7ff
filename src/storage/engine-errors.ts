// Errors that are part of the engine contract: every engine throws these (and only these) when a
// concurrent writer got there first, so the layers above can retry a version-unaware write
// without knowing which engine they run on.
import { FhirError } from '../fhir/errors';

export const engineErrors = {
  /** Another writer changed the resource between this transaction's read and its write. */
  concurrentUpdate: (type: string, id: string, versionId: number) =>
    new FhirError(409, 'CONCURRENT_UPDATE', [
      {
        severity: 'error',
        code: 'conflict',
        diagnostics: `${type}/${id} was changed by another request while version ${versionId} was being written; read it again and retry`,
      },
    ]),
  /** The version being written is not newer than the one already current. */
  notNewer: (type: string, id: string, versionId: number, current?: number) =>
    new FhirError(409, 'VERSION_NOT_NEWER', [
      {
        severity: 'error',
        code: 'conflict',
        diagnostics: `version ${versionId} of ${type}/${id} is not newer than the current version${current !== undefined ? ` ${current}` : ''}`,
      },
    ]),
  /** Writers of one resource (or one server document) are serialised, and this one waited longer
   * than its bound: the database is overloaded or a holder is stuck. */
  busy: (what: string, waitedMs: number) =>
    new FhirError(
      503,
      'WRITE_CONTENDED',
      [{ severity: 'error', code: 'transient', diagnostics: `Other requests kept ${what} busy for more than ${Math.round(waitedMs / 1000)} s; retry later` }],
      { 'Retry-After': '2' },
    ),
  /** A history paging cursor the engine did not issue (or tampered with). The HTTP layer only
   * checks that a cursor is an opaque token; its format is each engine's own. */
  badHistoryCursor: () =>
    new FhirError(400, 'BAD_CURSOR', [{ severity: 'error', code: 'invalid', diagnostics: "Parameter '_cursor': is not a cursor this server issued; start the history again" }]),
};

/** The errorCodes of a lost race: a write that claimed no version may simply retry. */
export const LOST_RACE_CODES: ReadonlySet<string> = new Set(['CONCURRENT_UPDATE', 'VERSION_NOT_NEWER']);
