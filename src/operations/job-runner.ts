// Runs the jobs of the database in this process: claims queued ones by compare-and-set (so one
// process runs each), keeps a lease on them with heartbeats, takes over jobs whose lease ran out
// (their process died: resumed from the checkpoint when the operation is resumable, failed with the
// reason otherwise — never "running" forever), and stops at most `maxJobs` at once.
import type { Logger } from 'pino';
import { errors, FhirError, operationOutcome } from '../fhir/errors';
import { instanceTarget } from './invoke';
import type { JobProgress, JobRecord } from './job-record';
import type { DatabaseJobService, JobServiceOptions } from './job-service';
import { answerOf } from './output';
import { parametersFromResource } from './parameters';
import type { JobControl, OperationTarget } from './types';

export interface RunnerSettings {
  maxJobs: number;
  jobPollMs: number;
  jobLeaseMs: number;
  jobRetentionMs: number;
  /** Every job found running at start-up is an orphan (SQLite: one process per data directory). */
  orphansAtStart: boolean;
}

interface Running {
  operation: string;
  abort: AbortController;
  progress?: JobProgress;
  heartbeat: NodeJS.Timeout;
}

const SHUTDOWN = 'shutdown';
const CANCELLED = 'cancelled';

export class JobRunner {
  private readonly running = new Map<string, Running>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private again = false;
  private stopped = false;
  private startedAt = 0;
  private readonly logger: Logger;

  constructor(
    private readonly jobs: DatabaseJobService,
    private readonly options: JobServiceOptions,
    /** This process, as the owner of the jobs it runs. */
    private readonly owner: string,
  ) {
    this.logger = options.logger;
  }

  start(): void {
    // A stopped runner may be started again (tests hold jobs back this way).
    this.stopped = false;
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.kick(), this.options.settings.jobPollMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for work now (after a submit, instead of waiting for the next poll). */
  kick(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch((e) => this.logger.warn({ err: (e as Error).message }, 'job poll failed; retrying at the next interval'))
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Running jobs of this process and their progress (for /metrics). */
  progress(): Array<{ id: string; operation: string; progress?: JobProgress }> {
    return [...this.running].map(([id, r]) => ({ id, operation: r.operation, progress: r.progress }));
  }

  cancelled(jobId: string): void {
    this.running.get(jobId)?.abort.abort(CANCELLED);
  }

  /** Stops taking work; jobs running here stop at their next check and are released for another
   * process (or the next start) to resume. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const r of this.running.values()) r.abort.abort(SHUTDOWN);
    await this.polling;
    const deadline = Date.now() + 5000;
    while (this.running.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    for await (const job of this.jobs.all()) {
      if (this.stopped) return;
      if (job.state === 'queued' && this.running.size < this.options.settings.maxJobs) await this.claim(job);
      else if (job.state === 'running' && !this.running.has(job.id) && this.orphaned(job, now)) await this.recover(job);
    }
  }

  private orphaned(job: JobRecord, now: number): boolean {
    if (this.options.settings.orphansAtStart && job.owner !== this.owner && Date.parse(job.startedAt ?? '') < this.startedAt) return true;
    return !job.leaseUntil || Date.parse(job.leaseUntil) < now;
  }

  private lease(): string {
    return new Date(Date.now() + this.options.settings.jobLeaseMs).toISOString();
  }

  private async claim(job: JobRecord): Promise<void> {
    const claimed = await this.jobs.update(job.id, (j) =>
      j.state !== 'queued' ? undefined : { ...j, state: 'running', owner: this.owner, leaseUntil: this.lease(), attempts: j.attempts + 1, startedAt: j.startedAt ?? this.jobs.now() },
    );
    if (claimed) this.execute(claimed);
  }

  /** A job whose process is gone: resumed if its operation can, failed with the reason if not. */
  private async recover(job: JobRecord): Promise<void> {
    const module = this.jobs.moduleOf(job);
    const resumable = module?.resumable === true;
    const recovered = await this.jobs.update(
      job.id,
      (j) => {
        if (j.state !== 'running' || j.leaseUntil !== job.leaseUntil || j.owner !== job.owner) return undefined; // someone else was quicker
        if (resumable) return { ...j, state: 'queued', owner: undefined, leaseUntil: undefined };
        const why = `the server process running $${j.operation} stopped before it finished (restart or crash), and this operation cannot resume: start it again`;
        return { ...j, state: 'failed', finishedAt: this.jobs.now(), error: { status: 500, outcome: operationOutcome([{ severity: 'error', code: 'incomplete', diagnostics: why }]) } };
      },
      this.jobs.expiry(),
    );
    if (recovered) this.logger.warn({ job: job.id, operation: job.operation, resumed: resumable }, 'took over a job whose process had stopped');
    if (recovered?.state === 'queued') this.kick();
  }

  private execute(job: JobRecord): void {
    const abort = new AbortController();
    const entry: Running = { operation: job.operation, abort, heartbeat: setInterval(() => void this.heartbeat(job.id), Math.max(50, this.options.settings.jobLeaseMs / 3)) };
    entry.heartbeat.unref();
    this.running.set(job.id, entry);
    void this.run(job, entry).finally(() => {
      clearInterval(entry.heartbeat);
      this.running.delete(job.id);
      this.kick();
    });
  }

  private async run(job: JobRecord, entry: Running): Promise<void> {
    const control: JobControl = {
      id: job.id,
      checkpoint: job.checkpoint,
      progress: async (done, total, message) => {
        entry.progress = { done, total, message };
        control.throwIfCancelled();
      },
      save: async (checkpoint, done, total) => {
        entry.progress = { done, total, message: entry.progress?.message };
        control.throwIfCancelled();
        await this.jobs.update(job.id, (j) => (j.state === 'running' && j.owner === this.owner ? { ...j, checkpoint, progress: entry.progress, leaseUntil: this.lease() } : undefined));
      },
      throwIfCancelled: () => {
        if (entry.abort.signal.aborted) throw errors.cancelled();
      },
    };
    try {
      const module = this.jobs.moduleOf(job);
      if (!module) throw errors.unknownOperation(job.operation);
      const ctx = this.options.contextFor(job.caller, job.baseUrl, entry.abort.signal);
      const options = { isResourceType: this.options.isResourceType, acceptsSearchParameters: module.acceptsSearchParameters };
      const params = parametersFromResource(module.definition, job.parameters, options);
      const target: OperationTarget = { ...job.target };
      if (target.level === 'instance') target.current = await instanceTarget(ctx, module, target.resourceType!, target.id!);
      const result = await module.handler({ code: job.operation, target, params, job: control }, ctx);
      const answer = answerOf(module.definition, result, this.options.isResourceType);
      await this.finish(job.id, (j) => ({ ...j, state: 'completed', progress: entry.progress ?? j.progress, result: { status: answer.status, headers: answer.headers, body: answer.body } }));
    } catch (e) {
      const reason = entry.abort.signal.reason;
      if (reason === CANCELLED) return; // the job record already says so
      if (reason === SHUTDOWN) {
        // Handed back: the lease ends now, so the next poll (here or elsewhere) takes it over.
        await this.jobs.update(job.id, (j) => (j.owner === this.owner && j.state === 'running' ? { ...j, leaseUntil: new Date(0).toISOString() } : undefined)).catch(() => undefined);
        return;
      }
      const failure = e instanceof FhirError ? e : undefined;
      if (!failure || failure.status >= 500) this.logger.error({ err: e, job: job.id, operation: job.operation }, 'asynchronous operation failed');
      const outcome = failure ? failure.toOperationOutcome() : errors.internal().toOperationOutcome();
      await this.finish(job.id, (j) => ({ ...j, state: 'failed', error: { status: failure?.status ?? 500, outcome } }));
      const module = this.jobs.moduleOf(job);
      if (module?.discard) await module.discard(job, this.options.contextFor(job.caller, job.baseUrl, new AbortController().signal)).catch(() => undefined);
    }
  }

  private async finish(jobId: string, change: (job: JobRecord) => JobRecord): Promise<void> {
    await this.jobs.update(
      jobId,
      (j) => (j.state === 'running' && j.owner === this.owner ? { ...change(j), finishedAt: this.jobs.now(), owner: undefined, leaseUntil: undefined } : undefined),
      this.jobs.expiry(),
    );
  }

  /** Renews the lease and publishes progress; learns of a cancellation made by any process. */
  private async heartbeat(jobId: string): Promise<void> {
    const entry = this.running.get(jobId);
    if (!entry) return;
    try {
      let cancelled = false;
      await this.jobs.update(jobId, (j) => {
        if (j.state === 'cancelled' || j.owner !== this.owner) {
          cancelled = true;
          return undefined;
        }
        return { ...j, progress: entry.progress ?? j.progress, leaseUntil: this.lease() };
      });
      if (cancelled) entry.abort.abort(CANCELLED);
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, job: jobId }, 'job heartbeat failed');
    }
  }
}
