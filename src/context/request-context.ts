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
  /** The same request reading and writing through another door (e.g. inside a transaction). */
  withData(data: DataAccess): RequestContext;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// Request ids made here: unique across processes and restarts by a random prefix per process,
// and within the process by a counter — as unique as a UUID per request for what they are for
// (matching log lines and audit records), at a fraction of its cost on the read fast path.
const PROCESS_PREFIX = randomUUID().slice(0, 24); // "xxxxxxxx-xxxx-4xxx-yxxx-": ids keep the UUID shape
let issued = 0;

export function newRequestId(): string {
  return PROCESS_PREFIX + (++issued).toString(16).padStart(12, '0');
}

/** A client's X-Request-Id when it is safe to echo and log, else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && REQUEST_ID.test(value) ? value : newRequestId();
}

export interface ContextOptions {
  requestId?: string;
  caller: Caller;
  /** The public base URL, or how to work it out: the read fast path never needs it, so it is
   * computed only when something asks (it reads several headers). */
  baseUrl: string | (() => string);
  /** A request's budget (rest/context.ts); wins over `signal`. */
  budget?: RequestBudget;
  /** Work with its own lifetime (jobs): stops when this aborts, has no deadline. */
  signal?: AbortSignal;
}

export function createRequestContext(services: ServerServices, options: ContextOptions): RequestContext {
  const budget = options.budget ?? (options.signal ? RequestBudget.following(options.signal) : UNLIMITED_BUDGET);
  const policy = services.policyFor(options.caller);
  const data = dataAccess(services.engine, policy, services.core.definitions.resourceTypes, budget.unlimited ? undefined : budget);
  return new Context(services, options.requestId ?? newRequestId(), options.caller, data, options.baseUrl, budget);
}

// A class rather than an object literal with getters: one is made per request, on the hottest
// path (read by id), and an instance of a class with prototype getters is a cheap fixed-shape
// allocation where a literal with accessors is not (measured on the read fast path's profile).
class Context implements RequestContext {
  private base: string | (() => string);

  constructor(
    readonly services: ServerServices,
    readonly requestId: string,
    readonly caller: Caller,
    readonly data: DataAccess,
    baseUrl: string | (() => string),
    readonly budget: RequestBudget,
  ) {
    this.base = baseUrl;
  }

  get baseUrl(): string {
    if (typeof this.base === 'function') this.base = this.base();
    return this.base;
  }

  get clock(): Clock {
    return this.services.core.clock;
  }

  // A child logger per request would cost on the hottest paths; bindings are added when asked.
  get logger(): Logger {
    return this.services.logger.child({ requestId: this.requestId });
  }

  get signal(): AbortSignal {
    return this.budget.signal;
  }

  withData(data: DataAccess): RequestContext {
    return new Context(this.services, this.requestId, this.caller, data, this.base, this.budget);
  }
}
