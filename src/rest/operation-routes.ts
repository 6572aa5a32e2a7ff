// HTTP adapter of the operation registry: `[base]/$op`, `[base]/[type]/$op` and
// `[base]/[type]/[id]/$op` with GET (URL parameters) or POST (a Parameters resource, or a bare
// resource where the operation takes exactly one), and the status URLs of asynchronous calls
// (R4 async.html). Everything else — which operation, at which level, which parameters — is the
// registry's and the invoker's business, shared with Bundle entries.
import { Router, type Request, type Response, type NextFunction } from 'express';
import { once } from 'node:events';
import { errors, FhirError } from '../fhir/errors';
import { EXPORT_FILES_PATH } from '../operations/analytics/export';
import { invokeOperation } from '../operations/invoke';
import { ASYNC_STATUS_PATH } from '../operations/job-service';
import type { OperationAnswer } from '../operations/output';
import type { OperationLevel } from '../operations/types';
import { assertId, assertResourceType } from '../interactions/resource-write';
import { contextOf } from './context';
import { readJsonBody, sendJson } from './http-format';
import { param, parsePrefer } from './request';
import { rawQuery } from './patch-routes';


export function operationRoutes(): Router {
  const router = Router();
  const handle = (level: OperationLevel) => async (req: Request, res: Response, next: NextFunction) => {
    const op = param(req, 'op');
    if (!op.startsWith('$')) return next();
    const ctx = contextOf(res);
    const resourceType = level === 'system' ? undefined : param(req, 'type');
    const id = level === 'instance' ? param(req, 'id') : undefined;
    if (resourceType) assertResourceType(ctx.services.core, resourceType);
    if (id) assertId(id);
    const hasBody = req.method === 'POST' && Buffer.isBuffer(req.body) && req.body.length > 0;
    const answer = await invokeOperation(ctx, {
      code: op.slice(1),
      level,
      resourceType,
      id,
      method: req.method === 'GET' ? 'GET' : 'POST',
      query: [...new URLSearchParams(rawQuery(req))],
      body: hasBody ? readJsonBody(req) : undefined,
      respondAsync: parsePrefer(req).respondAsync,
    });
    sendAnswer(req, res, answer);
  };
  for (const [path, level] of [
    ['/:op', 'system'],
    ['/:type/:op', 'type'],
    ['/:type/:id/:op', 'instance'],
  ] as const) {
    router.get(path, handle(level));
    router.post(path, handle(level));
    router.all(path, (req, _res, next) => (param(req, 'op').startsWith('$') ? next(errors.methodNotAllowed(req.method, param(req, 'op'), ['GET', 'POST'])) : next()));
  }

  router.get(`/${ASYNC_STATUS_PATH}/:job`, async (req, res) => {
    const ctx = contextOf(res);
    sendAnswer(req, res, await ctx.services.jobs.status(ctx, param(req, 'job')));
  });
  router.delete(`/${ASYNC_STATUS_PATH}/:job`, async (req, res) => {
    const ctx = contextOf(res);
    sendAnswer(req, res, await ctx.services.jobs.cancel(ctx, param(req, 'job')));
  });
  // Bulk Data export files, listed in a completed export's manifest: served to the caller who
  // started the export (others, and files of expired or unfinished exports, are 404), streamed
  // from the engine's FileStore in chunks.
  router.get(`/${EXPORT_FILES_PATH}/:job/:file`, async (req, res) => {
    const ctx = contextOf(res);
    const job = param(req, 'job');
    const file = param(req, 'file');
    const missing = () => new FhirError(404, 'UNKNOWN_FILE', [{ severity: 'error', code: 'not-found', diagnostics: `There is no export file ${job.slice(0, 64)}/${file.slice(0, 80)} (it may have expired)` }]);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(job) || !/^[A-Za-z]{1,64}-[0-9]{1,6}\.ndjson$/.test(file)) throw missing();
    if ((await ctx.services.jobs.status(ctx, job)).status !== 200) throw missing();
    const text = await ctx.services.engine.files.read(`${job}/${file}`);
    if (!text) throw missing();
    res.status(200).setHeader('Content-Type', 'application/fhir+ndjson');
    for await (const chunk of text) {
      if (!res.write(chunk)) await once(res, 'drain');
    }
    res.end();
  });
  return router;
}

function sendAnswer(req: Request, res: Response, answer: OperationAnswer): void {
  for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
  if (answer.body === undefined) res.status(answer.status).end();
  else sendJson(req, res, answer.status, answer.body);
}
