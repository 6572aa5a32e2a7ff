// Load shedding and the per-IP rate, in front of everything else (the read fast path included).
//
// One process interleaves its requests on one thread, so past some number of requests at once
// every request only gets slower, until none finishes within its time budget. The choice here is
// a concurrency limit with a bounded queue: at most NIMBUS_MAX_IN_FLIGHT requests are served at
// once; the next NIMBUS_MAX_QUEUED wait for a turn in arrival order; any more are answered 503 +
// Retry-After at once, with an OperationOutcome, before their body is read. A queue that has
// stopped moving is overload too: once the oldest waiting request has waited half the time
// budget, new arrivals are shed instead of joining it, and a request that waited that long when
// its turn comes is shed rather than started with too little budget left. (A latency-based limit
// would adapt by itself but needs tuning to be stable; two fixed numbers are easy to reason about
// and to size from a soak run: see README "Operations and reliability".)
// /healthz, /readyz and /metrics bypass all of it: they are answered however loaded the process is.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { WorkStats } from '../context/work-stats';
import { errors, type FhirError } from '../fhir/errors';
import { jsonContentType } from './http-format';
import type { RateLimiter } from './rate-limit';

export interface AdmissionOptions {
  maxInFlight: number;
  maxQueued: number;
  /** The request time budget; a queue whose head waited half of it is not moving. */
  requestTimeoutMs: number;
  perIp?: RateLimiter;
  stats: WorkStats;
}

/** Paths always answered at once, however loaded the process is. */
const ALWAYS = new Set(['/healthz', '/readyz', '/metrics']);

const ARRIVED = Symbol('nimbus.arrived');
type Timed = IncomingMessage & { [ARRIVED]?: number };

/** When the request arrived (performance.now()), for its time budget: time spent queued counts. */
export function arrivalOf(req: IncomingMessage): number | undefined {
  return (req as Timed)[ARRIVED];
}

interface Waiting {
  req: IncomingMessage;
  res: ServerResponse;
  arrived: number;
}

export class Admission {
  private inFlight = 0;
  private readonly queue: Waiting[] = [];
  private readonly maxWaitMs: number;
  private readonly release = () => {
    this.inFlight--;
    this.next();
  };

  constructor(
    private readonly app: RequestListener,
    private readonly options: AdmissionOptions,
  ) {
    this.maxWaitMs = options.requestTimeoutMs / 2;
  }

  /** Requests being served now, and waiting for a turn. */
  get state(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.queue.length };
  }

  readonly listener: RequestListener = (req, res) => {
    if (ALWAYS.has(req.url ?? '')) return this.app(req, res);
    const arrived = performance.now();
    (req as Timed)[ARRIVED] = arrived;
    const { perIp, stats } = this.options;
    if (perIp) {
      const wait = perIp.take(req.socket.remoteAddress ?? '');
      if (wait > 0) {
        stats.rateLimited++;
        return refuse(res, errors.rateLimited('IP address', wait));
      }
    }
    if (this.inFlight < this.options.maxInFlight && !this.queue.length) return this.start(req, res);
    if (this.queue.length >= this.options.maxQueued || (this.queue.length && arrived - this.queue[0].arrived > this.maxWaitMs)) {
      return this.shed(res, arrived);
    }
    const waiting: Waiting = { req, res, arrived };
    this.queue.push(waiting);
    // A client that leaves while waiting gives its place up.
    res.once('close', () => {
      const i = this.queue.indexOf(waiting);
      if (i >= 0) this.queue.splice(i, 1);
    });
  };

  private start(req: IncomingMessage, res: ServerResponse): void {
    this.inFlight++;
    // 'close' is emitted once per response, so `on` does what `once` would without wrapping the
    // listener on every request.
    res.on('close', this.release);
    this.app(req, res);
  }

  private next(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length) {
      const w = this.queue.shift()!;
      const now = performance.now();
      if (now - w.arrived > this.maxWaitMs) this.shed(w.res, now);
      else this.start(w.req, w.res);
    }
  }

  private shed(res: ServerResponse, now: number): void {
    this.options.stats.shed++;
    // Come back when the queue has had time to drain: about as long as its head has waited.
    const head = this.queue.length ? now - this.queue[0].arrived : 0;
    refuse(res, errors.overloaded(Math.max(1, Math.min(60, Math.ceil(head / 1000)))));
  }
}

/** Answers without Express (nothing of the request was read or done). */
function refuse(res: ServerResponse, e: FhirError): void {
  const body = JSON.stringify(e.toOperationOutcome());
  res.writeHead(e.status, { ...e.headers, 'Content-Type': jsonContentType('application/fhir+json'), 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
