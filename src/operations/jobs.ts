// Asynchronous operations (R4 async.html, the Bulk Data kick-off pattern): the contract between
// the operation invoker and the job machinery. Implemented by job-service.ts over the engine's
// SystemStore, so job state lives in the database and any server process answers for any job.
import type { RequestContext } from '../context/request-context';
import type { OperationParameters } from './parameters';
import type { OperationAnswer } from './output';
import type { OperationModule, OperationTarget } from './types';
import type { JobProgress, JobState } from './job-record';

export interface JobService {
  /** Queues the call as a job and answers 202 with Content-Location pointing at its status. */
  submit(ctx: RequestContext, module: OperationModule, target: OperationTarget, params: OperationParameters): Promise<OperationAnswer>;
  /** The status answer for a job (202 while running, the result when done, 404 when unknown). */
  status(ctx: RequestContext, jobId: string): Promise<OperationAnswer>;
  /** Cancels a job and removes what it produced (DELETE on the status URL). */
  cancel(ctx: RequestContext, jobId: string): Promise<OperationAnswer>;
  /** Jobs this process is running now, with their progress (for /metrics). */
  running(): Array<{ id: string; operation: string; progress?: JobProgress }>;
  /** Jobs in the database by state. */
  counts(): Promise<Record<JobState, number>>;
}
