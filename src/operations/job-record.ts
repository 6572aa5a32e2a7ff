// What the database keeps of an asynchronous job (SystemStore collection `jobs`), and the answers a
// status URL gives for each state (R4 async.html; Bulk Data kick-off: 202 + X-Progress while it
// runs, 200 with the result when done, the failure's OperationOutcome when it failed).
import type { OperationOutcome, Parameters } from '@medplum/fhirtypes';
import type { Caller } from '../access/caller';
import { operationOutcome } from '../fhir/errors';
import type { OperationAnswer } from './output';
import type { OperationLevel } from './types';

export const JOBS = 'jobs';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobProgress {
  done: number;
  total?: number;
  message?: string;
}

export interface JobRecord {
  id: string;
  /** The operation's code, without `$`. */
  operation: string;
  target: { level: OperationLevel; resourceType?: string; id?: string };
  /** The checked in-parameters, persisted as a Parameters resource. */
  parameters: Parameters;
  /** Who asked: the job runs with this caller's access, whichever process runs it. */
  caller: Caller;
  baseUrl: string;
  state: JobState;
  progress?: JobProgress;
  /** The operation's resume point (JobControl.save). */
  checkpoint?: unknown;
  /** The process running it, and until when its claim holds without a heartbeat. */
  owner?: string;
  leaseUntil?: string;
  /** How many times a process started it (resumes count). */
  attempts: number;
  submittedAt: string;
  startedAt?: string;
  finishedAt?: string;
  result?: { status: number; headers: Record<string, string>; body: unknown };
  error?: { status: number; outcome: OperationOutcome };
}

export function isFinished(state: JobState): boolean {
  return state === 'completed' || state === 'failed' || state === 'cancelled';
}

/** `X-Progress` text: what the job is doing, for people watching a poll loop. */
export function progressText(job: JobRecord): string {
  if (job.state === 'queued') return 'queued';
  const p = job.progress;
  if (!p) return 'in progress';
  const share = p.total ? ` (${((100 * p.done) / Math.max(p.total, 1)).toFixed(1)} %)` : '';
  return `in progress: ${p.done}${p.total !== undefined ? `/${p.total}` : ''}${share}${p.message ? ` ${p.message}` : ''}`.slice(0, 200);
}

/** The answer of `GET [status URL]` for a job in its current state. */
export function statusAnswer(job: JobRecord, retryAfterSeconds: number): OperationAnswer {
  switch (job.state) {
    case 'queued':
    case 'running':
      return { status: 202, headers: { 'X-Progress': progressText(job), 'Retry-After': String(retryAfterSeconds) }, body: undefined };
    case 'completed':
      return { status: job.result!.status, headers: job.result!.headers, body: job.result!.body };
    case 'failed':
      return { status: job.error!.status, headers: {}, body: job.error!.outcome };
    case 'cancelled':
    default:
      return { status: 404, headers: {}, body: operationOutcome([{ severity: 'error', code: 'not-found', diagnostics: `The asynchronous request ${job.id} was cancelled` }]) };
  }
}
