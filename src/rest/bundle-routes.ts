// POST [base] with a batch or transaction Bundle, plus the write features of the REST API (PATCH
// and the conditional interactions). The body limit (config.maxBodyBytes) is enforced by the body
// reader before this runs, the entry limit by parseBundle before any entry is read.
import { Router, type Request } from 'express';
import { bundleContext } from '../bundles/context';
import type { EntryReturn } from '../bundles/entry-response';
import { processBundle } from '../bundles/process-bundle';
import type { Config } from '../config';
import type { Feature } from './feature';
import { conditionalRoutes } from './conditional-routes';
import { patchRoutes } from './patch-routes';
import { contextOf } from './context';
import { readJsonBody, sendJson } from './http-format';
import { parsePrefer } from './request';

/** Entries answer with status, location and etag only, unless the client asks for more: bulk
 * loads would otherwise receive every resource back. */
export function entryReturn(req: Request): EntryReturn {
  const header = req.headers.prefer;
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return /\breturn\s*=/.test(text) ? parsePrefer(req).return : 'minimal';
}

export function bundleRoutes(): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = readJsonBody(req);
    const result = await processBundle(bundleContext(contextOf(res), entryReturn(req)), body);
    sendJson(req, res, 200, result);
  });
  return router;
}

/** Batch/transaction, PATCH and the conditional interactions, as Features for app.ts. */
export function writeFeatures(config: Pick<Config, 'allowMultipleDelete'>): Feature[] {
  return [
    { name: 'bundles', router: bundleRoutes(), systemInteractions: ['batch', 'transaction'] },
    { name: 'patch', router: patchRoutes(), typeInteractions: ['patch'] },
    {
      name: 'conditional',
      router: conditionalRoutes(),
      capability: { conditional: { create: true, update: true, delete: config.allowMultipleDelete ? 'multiple' : 'single', read: true } },
    },
  ];
}
