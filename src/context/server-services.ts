// Everything a request handler may need, assembled once by server.ts and reached through the
// request context (never imported as a singleton).
import type { Logger } from 'pino';
import type { Engine } from '../storage/engine';
import type { AccessPolicy } from '../access/policy';
import type { Caller } from '../access/caller';
import type { Config } from '../config';
import type { AuditSink } from '../audit/audit-trail';
import type { CriteriaMatcher } from '../interactions/conditional';
import type { Services } from '../interactions/services';
import type { SearchServices } from '../search/service';
import type { OperationRegistry } from '../operations/registry';
import type { JobService } from '../operations/jobs';
import type { WorkStats } from './work-stats';
import type { StoredConformance } from '../interactions/stored-conformance';

export interface ServerServices {
  /** The storage engine. Only the request context factory (to build each caller's DataAccess),
   * start-up and the operational endpoints touch it; requests reach data through `ctx.data`. */
  engine: Engine;
  /** What the FHIR interactions need: engine, definitions, validator, indexer, clock, ids. */
  core: Services;
  search: SearchServices;
  /** Matches conditional criteria (If-None-Exist, PUT/DELETE/PATCH [type]?…) through search. */
  matcher: CriteriaMatcher;
  operations: OperationRegistry;
  jobs: JobService;
  config: Config;
  logger: Logger;
  /** The audit trail (absent when auditing is off). */
  audit?: AuditSink;
  /** Counters of stopped, skipped and refused work, for /metrics. */
  stats: WorkStats;
  /** CodeSystems, ValueSets and ConceptMaps stored by clients, kept in the conformance registry
   * (absent in servers assembled without a database watch). */
  conformance?: StoredConformance;
  /** The access policy of a caller (open for anonymous callers until authorization exists). */
  policyFor(caller: Caller): AccessPolicy;
}
