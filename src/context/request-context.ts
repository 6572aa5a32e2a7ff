// The request context: what travels with one request from the HTTP adapter into interactions,
// search, Bundles and operations — who is calling, the one door to the data for that caller, the
// public base URL, the clock, the request id and a signal that fires when the work is no longer
// wanted. Handlers take their services from here, never from closures fixed at start-up, so a test
// or a job can run the same code with another caller or engine.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { dataAccess, type DataAccess } from '../access/data-access';
import type { Caller } from '../access/caller';
import type { Clock } from '../interactions/services';
import type { ServerServices } from './server-services';
import { RequestBudget, UNLIMITED_BUDGET } from './budget';

export interface RequestContext {
  /** Echoed as X-Request-Id and carried by every log line about the request. */
  readonly requestId: string;
  readonly caller: Caller;
  /** The caller's door to stored data (see access/data-access.ts). */
  readonly data: DataAccess;
  /** Public FHIR base URL, without a trailing slash. */
  readonly baseUrl: string;
  readonly clock: Clock;
  readonly services: ServerServices;
  readonly logger: Logger;
  /** Aborted when the client has gone or the request's time budget is spent (= budget.signal). */
  readonly signal: AbortSignal;
  /** The request's time budget and cancellation: long work calls `budget.check()` between steps;
   * searches through `data` check it inside the engines. Jobs get one without a deadline. */
  readonly budget: RequestBudget;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client's X-Request-Id when it is safe to echo and log, else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : randomUUID();
}

export interface ContextOptions {
  requestId?: string;
  caller: Caller;
  baseUrl: string;
  /** A request's budget (rest/context.ts); wins over `signal`. */
  budget?: RequestBudget;
  /** Work with its own lifetime (jobs): stops when this aborts, has no deadline. */
  signal?: AbortSignal;
}

export function createRequestContext(services: ServerServices, options: ContextOptions): RequestContext {
  const requestId = options.requestId ?? randomUUID();
  const policy = services.policyFor(options.caller);
  const budget = options.budget ?? (options.signal ? RequestBudget.following(options.signal) : UNLIMITED_BUDGET);
  return {
    requestId,
    caller: options.caller,
    data: dataAccess(services.engine, policy, services.core.definitions.resourceTypes, budget.unlimited ? undefined : budget),
    baseUrl: options.baseUrl,
    clock: services.core.clock,
    services,
    // A child logger per request would cost on the hottest paths; bindings are added lazily.
    get logger() {
      return services.logger.child({ requestId });
    },
    get signal() {
      return budget.signal;
    },
    budget,
  };
}
