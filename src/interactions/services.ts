// The services every FHIR interaction needs, passed in explicitly (no singletons) so that a test
// builds a complete server over any engine, with a fixed clock and id generator, in one line.
import { uuidV7 } from './ids';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceValidator } from '../fhir/validation';
import type { FhirDefinitions } from '../fhir/definitions';
import type { IndexValues } from '../search/index-values';
import type { SearchServices } from '../search/service';

export interface Clock {
  /** The current instant; server-assigned meta.lastUpdated values come from here. */
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Server-assigned logical ids: time-ordered UUIDs (see ids.ts), unique across server processes. */
export const uuidIds = (): string => uuidV7();

/** Knowledge and helpers every interaction needs. Stored data is reached only through the request
 * context's DataAccess (access/data-access.ts), never through an engine held here. */
export interface Services {
  definitions: FhirDefinitions;
  validator: ResourceValidator;
  /** Computes the search index values of a resource about to become current. */
  indexer: (resource: Resource) => IndexValues;
  clock: Clock;
  newId: () => string;
  /** Search services, for write rules that parse search criteria (Measure criteria); absent in
   * tools that only index. */
  search?: SearchServices;
  /** The server's base URL when configured (criteria references are resolved against it). */
  baseUrl?: string;
  /** The engine's transactions are all-or-nothing (SQLite, MongoDB replica sets): no crash leaves
   * half a write behind. Rules may then trust what one write keeps in step with another (a free
   * Slot has no holder); without it (absent: assumed not) they check the source of truth. */
  atomicWrites?: boolean;
}
