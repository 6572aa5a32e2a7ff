// What an operation is, as data: its OperationDefinition plus a handler that receives checked
// parameters and a request context and returns out-parameters. Handlers never see HTTP; the same
// handler answers GET, POST, Bundle entries and asynchronous jobs.
import type { OperationDefinition, Parameters, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../context/request-context';
import type { ResourceVersion } from '../storage/engine';
import type { OperationParameters, ParameterValue } from './parameters';
import type { JobRecord } from './job-record';

export type OperationLevel = 'system' | 'type' | 'instance';

/** Where an operation was invoked: `[base]/$op`, `[base]/[type]/$op` or `[base]/[type]/[id]/$op`. */
export interface OperationTarget {
  level: OperationLevel;
  resourceType?: string;
  id?: string;
  /** Instance level: the target's current version, already checked to exist and to be visible. */
  current?: ResourceVersion;
}

/** Progress, resume points and cancellation of a long operation. Asynchronous calls get one backed
 * by the job's record in the database; synchronous calls an inline one with the same behaviour. */
export interface JobControl {
  /** The job's id; absent for a synchronous call. */
  readonly id?: string;
  /** What the operation saved with `save` before the job was interrupted; undefined on first run. */
  readonly checkpoint: unknown;
  /** Reports progress (shown as X-Progress and on /metrics). */
  progress(done: number, total?: number, message?: string): Promise<void>;
  /** Saves a resume point together with the progress; throws if the job was cancelled meanwhile. */
  save(checkpoint: unknown, done: number, total?: number): Promise<void>;
  /** Throws (ending the operation) when the job was cancelled or the caller has gone. */
  throwIfCancelled(): void;
}

export interface OperationCall {
  /** The operation's code, without `$`. */
  code: string;
  target: OperationTarget;
  params: OperationParameters;
  job: JobControl;
}

export type OutValue = ParameterValue;

export interface OperationResult {
  /** Out-parameters by name, as the definition declares them. A single `return` resource is
   * answered as the resource itself (R4 operations.html); anything else as Parameters. */
  out?: Record<string, OutValue | OutValue[] | undefined>;
  /** A JSON answer that is not FHIR (e.g. a Bulk Data export manifest), instead of `out`. */
  json?: unknown;
  /** HTTP status of the answer (200 unless said otherwise). */
  status?: number;
  headers?: Record<string, string>;
}

/** An example call that succeeds on an empty server once `setup` is stored; the registry's test
 * runs it for every operation and checks the answer against the declared out-parameters. */
export interface OperationExample {
  setup?: Resource[];
  level: OperationLevel;
  resourceType?: string;
  id?: string;
  parameters?: Parameters;
}

export interface OperationModule {
  /** The official R4 definition where one exists; otherwise the server's own (fhir-profiles/operations/). */
  definition: OperationDefinition;
  /** At the instance level, the target may be a deleted resource (e.g. $expunge); otherwise a
   * deleted target answers 410. */
  targetMayBeDeleted?: boolean;
  /** Whether calling it changes stored data (R4 definitions mostly leave affectsState out): GET is
   * refused with 405 when it does. */
  affectsState: boolean;
  /** For an operation that reads unless asked to store too (e.g. `$risk-assessment?persist=true`):
   * whether this call changes stored data. Such a call is refused over GET (405) like an operation
   * that always does; its writes go through the caller's door like any other. */
  changesStateWith?(params: OperationParameters): boolean;
  /** What the caller needs beyond reaching the data it touches (checked before the handler runs):
   * `admin` for server administration ($reindex); default `write` when it affects state, else
   * `read`. Instance targets must also be visible to the caller (404 otherwise). */
  requires?: 'read' | 'write' | 'admin';
  /** The operation also takes search parameters of its resource type (e.g. `$lastn`). */
  acceptsSearchParameters?: boolean;
  /** May run long: `allowed` accepts `Prefer: respond-async`; `required` runs only that way. */
  async?: 'allowed' | 'required';
  /** After a restart, an interrupted job of this operation resumes from its checkpoint; without
   * this it is marked failed with the reason. */
  resumable?: boolean;
  handler(call: OperationCall, ctx: RequestContext): Promise<OperationResult>;
  /** Checks the call before it is queued as a job, so that bad input is a 4xx at kick-off rather
   * than a failed job (e.g. $export's `_type` and `_typeFilter`). */
  check?(call: Omit<OperationCall, 'job'>, ctx: RequestContext): Promise<void>;
  /** Removes what a job of this operation produced (e.g. export files) when it is cancelled or
   * fails, so nothing is left behind. */
  discard?(job: JobRecord, ctx: RequestContext): Promise<void>;
  example: OperationExample;
}
