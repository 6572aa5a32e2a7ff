// Bulk Data $export (server definition fhir-profiles/operations/OperationDefinition-export.json,
// after hl7.org/fhir/uv/bulkdata): system, Patient and Group/[id] level, asynchronous only,
// through the job machinery. The scope is decided and checked at kick-off (analytics/export-scope.ts,
// 400s before anything is queued); the job writes one NDJSON part at a time
// (analytics/export-writer.ts) and saves a resume point after each, so a job interrupted by a
// crash resumes where it was. A failed or cancelled export removes its files.
import { actsAsSystem } from '../../access/policy';
import { errors } from '../../fhir/errors';
import type { RequestContext } from '../../context/request-context';
import { exportScope, type ExportRequest, type TypeScope } from '../../analytics/export-scope';
import { writePart } from '../../analytics/export-writer';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { JobRecord } from '../job-record';
import type { OperationCall, OperationModule, OperationResult } from '../types';

/** Below the FHIR base: `[base]/_export/[job]/[file]`. */
export const EXPORT_FILES_PATH = '_export';

interface ExportOutput {
  type: string;
  file: string;
  count: number;
}

interface ExportCheckpoint {
  transactionTime: string;
  request: string;
  scopes: TypeScope[];
  since?: string;
  /** The type being written, its next part number and where that part starts. */
  t: number;
  part: number;
  after?: string;
  outputs: ExportOutput[];
  done: number;
}

export const exportOperation: OperationModule = {
  definition: nimbusOperationDefinition('export'),
  affectsState: false,
  async: 'required',
  resumable: true,
  check: async (call, ctx) => {
    // Bulk Data: the system level (everything of every patient) is for backend services; an app
    // confined to patients or to a user exports at the Patient or Group level, through its door.
    if (call.target.level === 'system' && !actsAsSystem(ctx.data.policy)) {
      throw errors.forbidden('a system-level $export needs system/ scopes (a backend service); export a patient\'s records with Patient/$export or a Group\'s with Group/[id]/$export');
    }
    await exportScope(ctx.data, ctx.services.search, ctx.baseUrl, requestOf(call));
  },
  handler: runExport,
  discard: async (job: JobRecord, ctx: RequestContext) => ctx.services.engine.files.removeAll(job.id),
  example: { level: 'system' },
};

function requestOf(call: Pick<OperationCall, 'params' | 'target'>): ExportRequest {
  const { params } = call;
  const list = (name: string) => params.all<string>(name).flatMap((v) => (name === '_typeFilter' ? [v] : v.split(','))).map((v) => v.trim()).filter(Boolean);
  return {
    target: call.target,
    outputFormat: params.string('_outputFormat'),
    since: params.string('_since'),
    types: list('_type'),
    typeFilters: list('_typeFilter'),
    patients: params.all<{ reference?: string } | string>('patient').map((p) => (typeof p === 'string' ? p : (p.reference ?? ''))),
  };
}

async function runExport(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const jobId = call.job.id!;
  const { files } = ctx.services.engine;
  const retention = ctx.services.config.exportRetentionMs;
  try {
    await files.sweep(ctx.clock.now());
    const state = (call.job.checkpoint as ExportCheckpoint | undefined) ?? (await start(call, ctx));
    while (state.t < state.scopes.length) {
      const scope = state.scopes[state.t];
      const file = `${scope.type}-${state.part}.ndjson`;
      const name = `${jobId}/${file}`;
      const part = await writePart(ctx.data, files, {
        scope,
        since: state.since,
        after: state.after,
        name,
        expiresAt: new Date(ctx.clock.now().getTime() + retention).toISOString(),
        partLines: ctx.services.config.exportFileResources,
        onPage: async (count) => call.job.progress(state.done + count, undefined, scope.type),
      });
      // An empty part (an empty type, or a type that ended exactly at a part boundary) wrote nothing
      // or an empty file.
      if (part.count) state.outputs.push({ type: scope.type, file, count: part.count });
      else if (state.part > 1) await files.remove(name);
      state.done += part.count;
      if (part.next) {
        state.after = part.next;
        state.part++;
      } else {
        state.t++;
        state.part = 1;
        state.after = undefined;
      }
      // A resume point after each file; an empty type is cheaper to look at again than to save.
      if (part.count) await call.job.save(state, state.done);
    }
    return { json: manifest(state, ctx, jobId) };
  } catch (e) {
    // Nothing of a failed or cancelled export stays behind (the job's discard does it too, for
    // the parts a crash left).
    await files.removeAll(jobId).catch(() => undefined);
    throw e;
  }
}

async function start(call: OperationCall, ctx: RequestContext): Promise<ExportCheckpoint> {
  const request = requestOf(call);
  const scopes = await exportScope(ctx.data, ctx.services.search, ctx.baseUrl, request);
  const path = call.target.level === 'system' ? '' : call.target.level === 'type' ? 'Patient/' : `Group/${call.target.id}/`;
  const query = new URLSearchParams();
  if (request.outputFormat) query.append('_outputFormat', request.outputFormat);
  if (request.since) query.append('_since', request.since);
  if (request.types.length) query.append('_type', request.types.join(','));
  for (const f of request.typeFilters) query.append('_typeFilter', f);
  const qs = query.toString();
  return {
    transactionTime: ctx.clock.now().toISOString(),
    request: `${ctx.baseUrl}/${path}$export${qs ? `?${qs}` : ''}`,
    scopes,
    ...(request.since ? { since: request.since } : {}),
    t: 0,
    part: 1,
    outputs: [],
    done: 0,
  };
}

function manifest(state: ExportCheckpoint, ctx: RequestContext, jobId: string) {
  return {
    transactionTime: state.transactionTime,
    request: state.request,
    // Files are served to the caller who started the export; with authentication that caller
    // proves who it is with its access token.
    requiresAccessToken: ctx.caller.kind !== 'anonymous',
    output: state.outputs.map((o) => ({ type: o.type, url: `${ctx.baseUrl}/${EXPORT_FILES_PATH}/${jobId}/${o.file}`, count: o.count })),
    error: [],
  };
}
