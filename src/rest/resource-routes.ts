// HTTP adapter of the instance interactions: read, vread, create, update, delete. Each handler
// parses the request, calls src/interactions through the request context's door to the data, and
// writes FHIR headers and body; errors travel as FhirError to the one error middleware.
import { Router, type Request, type Response } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import { create, readIn, remove, update, vreadIn, type WriteOutcome } from '../interactions/crud';
import { notModified } from '../interactions/conditional-read';
import { informational } from '../fhir/errors';
import { parseElements, parseSummary, subsetResource } from '../fhir/summary';
import { parseStoredJson } from '../fhir/json';
import type { ResourceVersion } from '../storage/engine';
import { contextOf } from './context';
import { firstQueryValue, readJsonBody, sendJson, setVersionHeaders } from './http-format';
import { param, parsePrefer } from './request';

/** GET [type]/[id]; also mounted early by app.ts, ahead of the feature routers. */
export async function readRoute(req: Request, res: Response): Promise<void> {
  const ctx = contextOf(res);
  const v = await readIn(ctx.data, ctx.services.core, param(req, 'type'), param(req, 'id'));
  sendVersion(req, res, v);
}

export function resourceRoutes(): Router {
  const router = Router();

  router.get('/:type/:id', readRoute);

  router.get('/:type/:id/_history/:vid', async (req, res) => {
    const ctx = contextOf(res);
    const v = await vreadIn(ctx.data, ctx.services.core, param(req, 'type'), param(req, 'id'), param(req, 'vid'));
    sendVersion(req, res, v);
  });

  router.post('/:type', async (req, res) => {
    const ctx = contextOf(res);
    const outcome = await create(ctx.data, ctx.services.core, param(req, 'type'), readJsonBody(req));
    sendWrite(req, res, outcome);
  });

  router.put('/:type/:id', async (req, res) => {
    const ctx = contextOf(res);
    const outcome = await update(ctx.data, ctx.services.core, param(req, 'type'), param(req, 'id'), readJsonBody(req), { ifMatch: req.headers['if-match'] });
    sendWrite(req, res, outcome);
  });

  router.delete('/:type/:id', async (req, res) => {
    const ctx = contextOf(res);
    const outcome = await remove(ctx.data, ctx.services.core, param(req, 'type'), param(req, 'id'), { ifMatch: req.headers['if-match'] });
    sendWrite(req, res, outcome);
  });

  return router;
}

export function sendVersion(req: Request, res: Response, v: ResourceVersion): void {
  setVersionHeaders(res, v);
  if (notModified(v, { ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] })) {
    res.status(304).end();
    return;
  }
  const summary = parseSummary(firstQueryValue(req, '_summary'));
  const elements = parseElements(firstQueryValue(req, '_elements'));
  if ((summary && summary !== 'false') || elements) {
    sendJson(req, res, 200, subsetResource(parseStoredJson(v.json!) as Resource, summary, elements));
  } else {
    sendJson(req, res, 200, v.json!);
  }
}

export function sendWrite(req: Request, res: Response, outcome: WriteOutcome): void {
  const prefer = parsePrefer(req);
  const v = outcome.version;
  if (v) {
    setVersionHeaders(res, v);
    if (!v.deleted) res.setHeader('Location', `${contextOf(res).baseUrl}/${v.resourceType}/${v.id}/_history/${v.versionId}`);
  }
  if (outcome.status === 204 || !outcome.resource) {
    if (prefer.return === 'OperationOutcome') sendJson(req, res, 200, informational(v ? `Deleted ${v.resourceType}/${v.id}` : 'Nothing to delete'));
    else res.status(204).end();
    return;
  }
  if (prefer.return === 'minimal') res.status(outcome.status).end();
  else if (prefer.return === 'OperationOutcome') {
    const verb = outcome.status === 201 ? 'Created' : 'Updated';
    sendJson(req, res, outcome.status, informational(`${verb} ${v!.resourceType}/${v!.id} version ${v!.versionId}`));
  } else sendJson(req, res, outcome.status, v?.json ?? outcome.resource);
}
