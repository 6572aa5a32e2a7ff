// The time budget of a request (NIMBUS_REQUEST_TIMEOUT) and its cancellation when the client has
// gone, as one object the request context carries down to search, Bundles and operations.
//
// A timer alone is not enough: SQLite statements run synchronously on the main thread, and between
// the awaits of a long batch only microtasks run, so a timer cannot fire while the work goes on.
// `check()` therefore compares the clock with the deadline itself; the timer is there to abort the
// signal for work that waits on I/O (a MongoDB query gets the signal and `maxTimeMS`).
import { performance } from 'node:perf_hooks';
import { errors, FhirError } from '../fhir/errors';
import type { WorkBudget } from '../storage/engine';

export type StopReason = 'time-budget' | 'client-gone';

export class RequestBudget implements WorkBudget {
  /** Made on first use of `signal` (an AbortController costs a few µs; most requests never need one). */
  private controller?: AbortController;
  private timer?: NodeJS.Timeout;
  private reasonKind?: StopReason;

  private constructor(
    /** The budget in ms (Infinity: none). */
    readonly budgetMs: number,
    /** performance.now() by which the work must be done. */
    private readonly deadline: number,
    /** Work with its own lifetime follows its owner's signal instead. */
    private readonly follow?: AbortSignal,
  ) {}

  /** A request's budget, counted from when the request arrived (time spent queued counts). */
  static forRequest(budgetMs: number, arrivedAt = performance.now()): RequestBudget {
    return new RequestBudget(budgetMs, arrivedAt + budgetMs);
  }

  /** Work with a lifetime of its own (jobs, the server's own tasks): no deadline; it stops when
   * `signal` aborts. The signal is kept as it is, so its owner's abort reason stays its own. */
  static following(signal: AbortSignal): RequestBudget {
    return new RequestBudget(Infinity, Infinity, signal);
  }

  /** Aborts when the work must stop: the client has gone, or the deadline passed (a timer, so
   * work waiting on I/O — a MongoDB query — is interrupted too). */
  get signal(): AbortSignal {
    if (this.follow) return this.follow;
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reasonKind) this.controller.abort(this.error(this.reasonKind));
      else if (Number.isFinite(this.deadline)) {
        this.timer = setTimeout(() => this.stop('time-budget'), Math.max(0, this.deadline - performance.now()));
        this.timer.unref();
      }
    }
    return this.controller.signal;
  }

  get unlimited(): boolean {
    return this.follow === NEVER;
  }

  /** Why the work was stopped, if it was (for logs and metrics). */
  get stopped(): StopReason | undefined {
    return this.reasonKind ?? (this.follow?.aborted ? 'client-gone' : undefined);
  }

  check(): void {
    if (this.reasonKind || this.follow?.aborted) throw this.reason();
    if (performance.now() >= this.deadline) {
      this.stop('time-budget');
      throw this.reason();
    }
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  exceeded(): Error {
    this.stop('time-budget');
    return this.reason();
  }

  /** The client closed the connection before the answer was complete. */
  clientGone(): void {
    this.stop('client-gone');
  }

  /** The request was answered: the timer is no longer needed. */
  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private stop(kind: StopReason): void {
    if (this.follow || this.reasonKind) return;
    this.reasonKind = kind;
    this.finish();
    this.controller?.abort(this.error(kind));
  }

  private error(kind: StopReason): FhirError {
    return kind === 'time-budget' ? errors.timeBudgetExceeded(this.budgetMs) : errors.cancelled();
  }

  private reason(): FhirError {
    if (this.reasonKind) {
      const r: unknown = this.controller?.signal.reason;
      return r instanceof FhirError ? r : this.error(this.reasonKind);
    }
    const r: unknown = this.follow?.reason;
    return r instanceof FhirError ? r : errors.cancelled();
  }
}

const NEVER = new AbortController().signal;

/** The budget of work that has none: never stops (tests, start-up, the read fast path). */
export const UNLIMITED_BUDGET = RequestBudget.following(NEVER);
