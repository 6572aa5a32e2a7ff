// Asynchronous operations over the engine's SystemStore: a job is a document in the database from
// kick-off to expiry, so any server process answers its status or cancels it, and a job whose
// process died is taken over (resumed from its checkpoint, or failed with the reason). The running
// itself — claiming, heartbeats, recovery — is job-runner.ts.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Caller } from '../access/caller';
import type { RequestContext } from '../context/request-context';
import { errors, informational } from '../fhir/errors';
import { uuidV7 } from '../interactions/ids';
import type { Clock } from '../interactions/services';
import type { SystemStore } from '../storage/engine';
import { isFinished, JOBS, statusAnswer, type JobProgress, type JobRecord, type JobState } from './job-record';
import { JobRunner, type RunnerSettings } from './job-runner';
import type { JobService } from './jobs';
import type { OperationAnswer } from './output';
import type { OperationParameters } from './parameters';
import type { OperationRegistry } from './registry';
import type { OperationModule, OperationTarget } from './types';

/** Where the status of an asynchronous request is polled, below the FHIR base. */
export const ASYNC_STATUS_PATH = '_async';
const RETRY_AFTER_SECONDS = 2;
const UPDATE_ATTEMPTS = 50;

export interface JobServiceOptions {
  store: SystemStore;
  registry: OperationRegistry;
  /** A request context for the job's caller: jobs see exactly what their caller may see. */
  contextFor(caller: Caller, baseUrl: string, signal: AbortSignal): RequestContext;
  isResourceType(type: string): boolean;
  settings: RunnerSettings;
  clock: Clock;
  logger: Logger;
}

export class DatabaseJobService implements JobService {
  readonly runner: JobRunner;
  private readonly store: SystemStore;

  constructor(private readonly options: JobServiceOptions) {
    this.store = options.store;
    this.runner = new JobRunner(this, options, `${process.pid}-${randomUUID().slice(0, 8)}`);
  }

  async submit(ctx: RequestContext, module: OperationModule, target: OperationTarget, params: OperationParameters): Promise<OperationAnswer> {
    const id = uuidV7();
    const job: JobRecord = {
      id,
      operation: module.definition.code!,
      target: { level: target.level, resourceType: target.resourceType, id: target.id },
      parameters: params.toParameters(module.definition, { isResourceType: this.options.isResourceType }),
      caller: ctx.caller,
      baseUrl: ctx.baseUrl,
      state: 'queued',
      attempts: 0,
      submittedAt: this.options.clock.now().toISOString(),
    };
    if (!(await this.store.insert(JOBS, id, job))) throw new Error(`job id ${id} already exists`);
    this.runner.kick();
    return {
      status: 202,
      headers: { 'Content-Location': `${ctx.baseUrl}/${ASYNC_STATUS_PATH}/${id}` },
      body: informational(`Accepted: $${job.operation} runs asynchronously; poll ${ctx.baseUrl}/${ASYNC_STATUS_PATH}/${id} for its outcome`),
    };
  }

  async status(ctx: RequestContext, jobId: string): Promise<OperationAnswer> {
    return statusAnswer(await this.visibleJob(ctx, jobId), RETRY_AFTER_SECONDS);
  }

  async cancel(ctx: RequestContext, jobId: string): Promise<OperationAnswer> {
    const job = await this.visibleJob(ctx, jobId);
    if (job.state === 'cancelled') throw errors.unknownJob(jobId);
    const cancelled = await this.update(jobId, (j) => (j.state === 'cancelled' ? undefined : { ...j, state: 'cancelled', finishedAt: this.now() }), this.expiry());
    // What a finished or interrupted job produced goes with it (e.g. export files).
    const module = this.moduleOf(job);
    if (cancelled && module?.discard) await module.discard(cancelled, ctx);
    this.runner.cancelled(jobId);
    return { status: 202, headers: {}, body: informational(`The asynchronous request ${jobId} was cancelled and what it produced was removed`) };
  }

  /** A job is answered only to the caller who started it (others see no such job). */
  private async visibleJob(ctx: RequestContext, jobId: string): Promise<JobRecord> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(jobId)) throw errors.unknownJob(jobId);
    const doc = await this.store.get<JobRecord>(JOBS, jobId);
    if (!doc || !sameCaller(doc.value.caller, ctx.caller)) throw errors.unknownJob(jobId);
    return doc.value;
  }

  moduleOf(job: JobRecord): OperationModule | undefined {
    try {
      return this.options.registry.find(job.operation, job.target.level, job.target.resourceType);
    } catch {
      return undefined;
    }
  }

  /**
   * Read-modify-write of a job with compare-and-set; `change` returns the new record, or undefined
   * to leave it. Returns the record written (undefined when nothing was written).
   */
  async update(jobId: string, change: (job: JobRecord) => JobRecord | undefined, expiresAt?: (job: JobRecord) => string | undefined): Promise<JobRecord | undefined> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const doc = await this.store.get<JobRecord>(JOBS, jobId);
      if (!doc) return undefined;
      const next = change(doc.value);
      if (!next) return undefined;
      const expiry = expiresAt?.(next);
      if (await this.store.replace(JOBS, jobId, next, doc.rev, expiry ? { expiresAt: expiry } : undefined)) return next;
    }
    throw new Error(`job ${jobId} kept changing under ${UPDATE_ATTEMPTS} attempts to update it`);
  }

  /** Finished jobs stay answerable for the retention time, then the store forgets them. */
  expiry(): (job: JobRecord) => string | undefined {
    return (job) => (isFinished(job.state) ? new Date(this.options.clock.now().getTime() + this.options.settings.jobRetentionMs).toISOString() : undefined);
  }

  now(): string {
    return this.options.clock.now().toISOString();
  }

  /** Jobs by state, for /metrics and tests (one page of the store at a time). */
  async counts(): Promise<Record<JobState, number>> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for await (const job of this.all()) counts[job.state]++;
    return counts;
  }

  async *all(): AsyncIterable<JobRecord> {
    let after: string | undefined;
    for (;;) {
      const page = await this.store.list<JobRecord>(JOBS, { after, limit: 200 });
      for (const doc of page) yield doc.value;
      if (page.length < 200) return;
      after = page[page.length - 1].key;
    }
  }

  running(): Array<{ id: string; operation: string; progress?: JobProgress }> {
    return this.runner.progress();
  }

  start(): void {
    this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }
}

/** The same principal: client, user and patient in context all equal (anonymous is one principal). */
function sameCaller(a: Caller, b: Caller): boolean {
  return a.kind === b.kind && a.clientId === b.clientId && a.fhirUser === b.fhirUser && a.patient === b.patient;
}
