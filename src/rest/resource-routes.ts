// HTTP adapter of the instance interactions: read, vread, create, update, delete. Each handler
// parses the request, calls src/interactions, and writes FHIR headers and body; errors travel as
// FhirError to the one error middleware.
import { Router, type Request, type Response } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import { create, parseETag, read, remove, update, vread, type WriteOutcome } from '../interactions/crud';
import type { Services } from '../interactions/services';
import { informational } from '../fhir/errors';
import { parseElements, parseSummary, subsetResource } from '../fhir/summary';
import { parseStoredJson } from '../fhir/json';
import type { ResourceVersion } from '../storage/engine';
import { firstQueryValue, readJsonBody, sendJson, setVersionHeaders } from './http-format';
import { baseUrlOf, param, parsePrefer } from './request';

export interface RouteOptions {
  baseUrl: string;
}

/** GET [type]/[id]; also mounted early by app.ts as the fast path. */
export function readHandler(services: Services) {
  return async (req: Request, res: Response): Promise<void> => {
    const v = await read(services, param(req, 'type'), param(req, 'id'));
    sendVersion(req, res, v);
  };
}

export function resourceRoutes(services: Services, options: RouteOptions): Router {
  const router = Router();

  const readRoute = readHandler(services);
  router.get('/:type/:id', readRoute);

  router.get('/:type/:id/_history/:vid', async (req, res) => {
    const v = await vread(services, param(req, 'type'), param(req, 'id'), param(req, 'vid'));
    sendVersion(req, res, v);
  });

  router.post('/:type', async (req, res) => {
    const body = readJsonBody(req);
    const outcome = await create(services, param(req, 'type'), body);
    sendWrite(req, res, outcome, options);
  });

  router.put('/:type/:id', async (req, res) => {
    const body = readJsonBody(req);
    const outcome = await update(services, param(req, 'type'), param(req, 'id'), body, { ifMatch: req.headers['if-match'] });
    sendWrite(req, res, outcome, options);
  });

  router.delete('/:type/:id', async (req, res) => {
    const outcome = await remove(services, param(req, 'type'), param(req, 'id'), { ifMatch: req.headers['if-match'] });
    sendWrite(req, res, outcome, options);
  });

  return router;
}

/** 304 when the client's copy is current (If-None-Match / If-Modified-Since), per R4 http.html#cread. */
function notModified(req: Request, v: ResourceVersion): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    return inm.split(',').some((tag) => tag.trim() === '*' || parseETag(tag) === String(v.versionId));
  }
  const ims = req.headers['if-modified-since'];
  if (ims !== undefined) {
    const since = Date.parse(ims);
    // HTTP dates have whole seconds: compare at that precision.
    if (!Number.isNaN(since)) return Math.floor(Date.parse(v.lastUpdated) / 1000) * 1000 <= since;
  }
  return false;
}

export function sendVersion(req: Request, res: Response, v: ResourceVersion): void {
  setVersionHeaders(res, v);
  if (notModified(req, v)) {
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

export function sendWrite(req: Request, res: Response, outcome: WriteOutcome, options: RouteOptions): void {
  const prefer = parsePrefer(req);
  const v = outcome.version;
  if (v) {
    setVersionHeaders(res, v);
    if (!v.deleted) res.setHeader('Location', `${baseUrlOf(req, options.baseUrl)}/${v.resourceType}/${v.id}/_history/${v.versionId}`);
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
