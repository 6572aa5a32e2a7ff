// The MongoDB engine's own FhirError factories (the shared catalogue in fhir/errors.ts stays
// engine-neutral): what a client can do about a deployment limit or a concurrent writer.
import { FhirError } from '../../fhir/errors';
import { engineErrors } from '../engine-errors';

export const mongoErrors = {
  replicaSetRequired: (topology: string) =>
    new FhirError(400, 'REPLICA_SET_REQUIRED', [
      {
        severity: 'error',
        code: 'not-supported',
        diagnostics:
          `An atomic transaction needs MongoDB as a replica set or sharded cluster; this server's database is a ${topology} ` +
          'without multi-document transactions. Send the entries as a batch Bundle, or run MongoDB as a replica set (even a single-node one).',
      },
    ]),
  concurrentUpdate: engineErrors.concurrentUpdate,
  notNewer: engineErrors.notNewer,
  tooCostly: (what: string, limit: number) =>
    new FhirError(400, 'SEARCH_TOO_COSTLY', [
      { severity: 'error', code: 'too-costly', diagnostics: `${what} matches more than ${limit} resources; narrow the search` },
    ]),
  badCursor: () =>
    new FhirError(400, 'BAD_CURSOR', [{ severity: 'error', code: 'invalid', diagnostics: 'The paging cursor is not valid for this server; start the search again' }]),
};
