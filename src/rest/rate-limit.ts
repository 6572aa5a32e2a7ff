// Per-client request rates: a token bucket per IP address and per authenticated caller, answered
// 429 + Retry-After + OperationOutcome beyond the rate. Off unless configured.
//
// Shared state across processes (issue 18): each process keeps its own buckets and enforces
// 1/NIMBUS_PROCESSES of the configured rate. A shared counter in the database (windowed counters
// in the SystemStore) would be exact under uneven balancing, but would put a database round trip
// — or a batch flush that is just as approximate — on every request, and would fail exactly when
// the database is the thing under pressure. Behind a balancer that spreads a client's requests
// (round robin, least connections) the per-process share is within a bucket's burst of the
// configured rate; with sticky sessions a client meets one process and gets 1/n of it, so raise
// the rate accordingly or set NIMBUS_PROCESSES=1 there.
import { performance } from 'node:perf_hooks';
import type { Caller } from '../access/caller';
import type { RateLimit } from '../config';
import type { WorkStats } from '../context/work-stats';
import type { IncomingMessage } from 'node:http';
import { errors, type FhirError } from '../fhir/errors';
import type { Authenticate } from './context';

interface Bucket {
  tokens: number;
  at: number;
}

/** Most keys kept; beyond, full buckets are forgotten first, then the least recently used. */
const MAX_KEYS = 100_000;
const SWEEP_EVERY_MS = 60_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Burst size and refill per ms of this process's share of the rate. */
  readonly capacity: number;
  private readonly refillPerMs: number;
  private lastSweep: number;

  constructor(
    rate: RateLimit,
    processes = 1,
    private readonly now: () => number = () => performance.now(),
    private readonly maxKeys = MAX_KEYS,
  ) {
    this.capacity = Math.max(1, Math.floor(rate.requests / processes));
    this.refillPerMs = this.capacity / rate.perMs;
    this.lastSweep = this.now();
  }

  /** Takes a token for `key`: 0 when the request may go on, else the seconds until it may. */
  take(key: string): number {
    const t = this.now();
    if (t - this.lastSweep > SWEEP_EVERY_MS) this.sweep(t);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(t);
      b = { tokens: this.capacity, at: t };
    } else {
      b.tokens = Math.min(this.capacity, b.tokens + (t - b.at) * this.refillPerMs);
      b.at = t;
      this.buckets.delete(key); // re-inserted below: the map's order is least recently used first
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.refillPerMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (t - b.at) * this.refillPerMs >= this.capacity) this.buckets.delete(key);
    }
    // Still full: forget the least recently used (they get a fresh bucket if they come back).
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}

/** The key of an authenticated caller; undefined for anonymous callers (they are limited by IP). */
export function callerKey(caller: Caller): string | undefined {
  if (caller.kind === 'anonymous') return undefined;
  return `${caller.kind}:${caller.clientId ?? ''}:${caller.fhirUser ?? ''}`;
}

/** `authenticate`, then the caller's rate: a caller over it is refused 429 before any work. */
export function limitCallers(authenticate: Authenticate, limiter: RateLimiter | undefined, stats: WorkStats): Authenticate {
  if (!limiter) return authenticate;
  // A read the fast path refused is handed to Express, which authenticates again: the same
  // refusal, without taking or counting twice.
  const refused = new WeakMap<IncomingMessage, FhirError>();
  return async (req) => {
    const earlier = refused.get(req);
    if (earlier) throw earlier;
    const caller = await authenticate(req);
    const key = callerKey(caller);
    if (key !== undefined) {
      const wait = limiter.take(key);
      if (wait > 0) {
        stats.rateLimited++;
        const e = errors.rateLimited('caller', wait);
        refused.set(req, e);
        throw e;
      }
    }
    return caller;
  };
}
