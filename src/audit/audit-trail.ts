// The audit trail's writer: accesses are queued in memory as they finish and written as AuditEvents
// in batches (one engine transaction per batch) by a timer, off every request's critical path. The
// queue is bounded: if the database cannot keep up or is down, the oldest records are dropped and
// counted (and logged) rather than the server running out of memory. `close()` writes what is
// queued, so a graceful shutdown loses nothing.
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import { FhirError } from '../fhir/errors';
import { auditEventOf, type AccessRecord } from './audit-event';
import type { PatientResolver } from './audit-patients';

/** Refused for what it is (4xx), not for the database being away: retrying cannot help. */
function refused(e: unknown): boolean {
  return e instanceof FhirError && e.status < 500;
}

export interface AuditSink {
  record(access: AccessRecord): void;
  /** Resolves once everything recorded so far is written. */
  flush(): Promise<void>;
}

export interface AuditTrailOptions {
  /** Writes one batch (all-or-nothing). */
  write(events: AuditEvent[]): Promise<void>;
  logger: Logger;
  /** How often queued records are written. */
  flushMs?: number;
  /** Most records per transaction. */
  batchSize?: number;
  /** Most records held while the database is slow or away. */
  maxQueued?: number;
  /** The patients of the resources an access touched (absent: only the patients the request
   * named are recorded). */
  patientsOf?: PatientResolver;
}

export class AuditTrail implements AuditSink {
  private queue: AccessRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private dropped = 0;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxQueued: number;

  constructor(private readonly options: AuditTrailOptions) {
    this.flushMs = options.flushMs ?? 1000;
    this.batchSize = options.batchSize ?? 200;
    this.maxQueued = options.maxQueued ?? 50_000;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  record(access: AccessRecord): void {
    if (this.queue.length >= this.maxQueued) {
      this.queue.shift();
      if (this.dropped++ % 1000 === 0) this.options.logger.error({ dropped: this.dropped }, 'audit queue full: the database does not keep up; oldest audit records dropped');
    }
    this.queue.push(access);
  }

  /** Writes everything queued now (one batch at a time); resolves when done. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, this.batchSize);
      try {
        await this.options.write(await this.eventsOf(batch));
      } catch (e) {
        if (!refused(e)) {
          // Kept for the next tick (the database may be back by then).
          this.options.logger.error({ err: e, queued: this.queue.length }, 'writing audit events failed; will retry');
          return;
        }
        // One event the server itself cannot store (a bug) must not block the trail forever:
        // the batch is written event by event and the refused one is logged and left out.
        if (!(await this.writeOneByOne(batch))) return;
      }
      this.queue.splice(0, batch.length);
    }
  }

  /** The batch's events, each with the patients of what its access touched (asked of the
   * database here, in the background, never on the request's path). */
  private async eventsOf(batch: AccessRecord[]): Promise<AuditEvent[]> {
    const resolve = this.options.patientsOf;
    const known = new Map<string, string[]>();
    const events: AuditEvent[] = [];
    for (const access of batch) {
      const touched = [...new Set(access.touched ?? [])];
      if (!touched.length) {
        events.push(auditEventOf(access));
        continue;
      }
      const patients = new Set(access.patients);
      for (const ref of touched) if (ref.startsWith('Patient/')) patients.add(ref.slice('Patient/'.length));
      const others = touched.filter((ref) => !ref.startsWith('Patient/')).sort();
      if (resolve && others.length) {
        const key = others.join(' ');
        let found = known.get(key);
        if (!found) {
          try {
            found = await resolve(others);
          } catch (e) {
            // The database being away is retried with the batch; a query it refuses (a bug) must
            // not cost the event: it is recorded with the patients the request named.
            if (!refused(e)) throw e;
            this.options.logger.error({ err: e, requestId: access.requestId }, 'the patients of an audited access could not be resolved');
            found = [];
          }
          known.set(key, found);
        }
        for (const p of found) patients.add(p);
      }
      events.push(auditEventOf({ ...access, patients: [...patients] }));
    }
    return events;
  }

  /** False when the database failed meanwhile (the batch stays queued). */
  private async writeOneByOne(batch: AccessRecord[]): Promise<boolean> {
    for (const access of batch) {
      try {
        await this.options.write(await this.eventsOf([access]));
      } catch (e) {
        if (!refused(e)) return false;
        this.options.logger.error({ err: e, interaction: access.interaction, requestId: access.requestId }, 'an audit event was refused by validation and is lost');
      }
    }
    return true;
  }

  /** Stops the timer and writes what is queued (graceful shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    // A flush that was running when close() began may have left records queued after it.
    if (this.queue.length) await this.flush();
  }

  get pending(): number {
    return this.queue.length;
  }
}
