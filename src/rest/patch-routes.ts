// PATCH [type]/[id] and PATCH [type]?criteria (R4 http.html#patch): JSON Patch with
// `application/json-patch+json`, FHIRPath Patch with a Parameters body in FHIR JSON; If-Match
// honoured. The patched resource is validated and written like an update, through the request's door.
import { Router, type Request } from 'express';
import { conditionalPatchIn, JSON_PATCH_TYPE, parsePatch, patchIn, type PatchDocument } from '../interactions/patch';
import { afterConcurrentWriters } from '../interactions/crud';
import { errors } from '../fhir/errors';
import { isJsonBodyType, parseJson } from './http-format';
import { param } from './request';
import { sendWrite } from './resource-routes';
import { contextOf } from './context';

function readPatch(req: Request): PatchDocument {
  const raw = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw errors.badRequest('PATCH needs a body: a JSON Patch document or a FHIRPath Patch Parameters resource');
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== JSON_PATCH_TYPE && !isJsonBodyType(contentType)) {
    throw errors.unsupportedMediaType(`${contentType || '(none)'}' for PATCH; use ${JSON_PATCH_TYPE} or application/fhir+json (FHIRPath Patch)`);
  }
  return parsePatch(contentType, parseJson(raw.toString('utf8')));
}

/** The query string of the request as sent (criteria keep their own escaping). */
export function rawQuery(req: Request): string {
  const q = req.originalUrl.indexOf('?');
  return q >= 0 ? req.originalUrl.slice(q + 1) : '';
}

export function patchRoutes(): Router {
  const router = Router();
  router.patch('/:type/:id', async (req, res) => {
    const ctx = contextOf(res);
    const patch = readPatch(req);
    const pre = { ifMatch: req.headers['if-match'] };
    const outcome = await afterConcurrentWriters(pre, () => ctx.data.transaction((tx) => patchIn(tx, ctx.services.core, param(req, 'type'), param(req, 'id'), patch, pre)));
    sendWrite(req, res, outcome);
  });
  router.patch('/:type', async (req, res, next) => {
    const criteria = rawQuery(req);
    if (!criteria) return next(); // PATCH on a bare type is not an interaction: 405 from app.ts
    const ctx = contextOf(res);
    const patch = readPatch(req);
    const pre = { ifMatch: req.headers['if-match'] };
    const outcome = await afterConcurrentWriters(pre, () =>
      ctx.data.transaction((tx) => conditionalPatchIn(tx, ctx.services.core, ctx.services.matcher, param(req, 'type'), criteria, patch, pre)),
    );
    sendWrite(req, res, outcome);
  });
  return router;
}
