// Counters of work the server stopped, skipped or refused, kept in the services (any layer may
// count) and read by /metrics (rest/ops-routes.ts). Plain numbers: counting costs an increment.
import type { StopReason } from './budget';

export interface WorkStats {
  /** Requests whose work was stopped before their answer was complete, by why. */
  stopped: Record<StopReason, number>;
  /** Bundle entries that ran, and entries of a batch or transaction never run because the
   * request was stopped (time budget spent, client gone) before their turn. */
  bundleEntriesRun: number;
  bundleEntriesNotRun: number;
  /** Requests answered 503 by load shedding, and 429 by a per-client rate limit. */
  shed: number;
  rateLimited: number;
}

export function createWorkStats(): WorkStats {
  return { stopped: { 'time-budget': 0, 'client-gone': 0 }, bundleEntriesRun: 0, bundleEntriesNotRun: 0, shed: 0, rateLimited: 0 };
}
