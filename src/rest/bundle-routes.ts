// POST [base] with a batch or transaction Bundle. The body limit (config.maxBodyBytes) is enforced
// by the body reader before this runs, the entry limit by parseBundle before any entry is read.
import { Router, type Request } from 'express';
import type { Feature } from '../app';
import type { BundleServices } from '../bundles/context';
import type { EntryReturn } from '../bundles/entry-response';
import { processBundle } from '../bundles/process-bundle';
import type { Config } from '../config';
import { searchRunner } from '../bundles/entry-reads';
import { searchCriteriaMatcher } from '../interactions/conditional';
import type { Services } from '../interactions/services';
import type { SearchServices } from '../search/service';
import { conditionalRoutes } from './conditional-routes';
import { patchRoutes } from './patch-routes';
import { readJsonBody, sendJson } from './http-format';
import { baseUrlOf, parsePrefer } from './request';

/** Entries answer with status, location and etag only, unless the client asks for more: bulk
 * loads would otherwise receive every resource back. */
export function entryReturn(req: Request): EntryReturn {
  const header = req.headers.prefer;
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return /\breturn\s*=/.test(text) ? parsePrefer(req).return : 'minimal';
}

export function bundleRoutes(deps: BundleServices, options: { baseUrl: string }): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const body = readJsonBody(req);
    const result = await processBundle({ ...deps, base: baseUrlOf(req, options.baseUrl), ret: entryReturn(req) }, body);
    sendJson(req, res, 200, result);
  });
  return router;
}

export function bundleFeature(deps: BundleServices, options: { baseUrl: string }): Feature {
  return { name: 'bundles', router: bundleRoutes(deps, options), systemInteractions: ['batch', 'transaction'] };
}

/**
 * Everything issue 5 adds to the REST API, as Features for app.ts: batch/transaction, PATCH and
 * the conditional interactions. `search` (the search module's services) enables conditional
 * criteria, conditional references and GET-with-criteria entries; without it those are refused.
 */
export function writeFeatures(
  services: Services,
  config: Pick<Config, 'baseUrl' | 'allowMultipleDelete' | 'maxBundleEntries'>,
  search?: Pick<SearchServices, 'registry' | 'terminology' | 'defaultCount' | 'maxCount' | 'now'>,
): Feature[] {
  const matcher = search ? searchCriteriaMatcher(search) : undefined;
  const deps: BundleServices = {
    services,
    matcher,
    search: search ? searchRunner(search) : undefined,
    allowMultipleDelete: config.allowMultipleDelete,
    maxBundleEntries: config.maxBundleEntries,
  };
  const options = { baseUrl: config.baseUrl };
  return [
    bundleFeature(deps, options),
    { name: 'patch', router: patchRoutes(services, matcher, options), typeInteractions: ['patch'] },
    {
      name: 'conditional',
      router: conditionalRoutes(services, matcher, { ...options, allowMultipleDelete: config.allowMultipleDelete }),
      capability: matcher ? { conditional: { create: true, update: true, delete: config.allowMultipleDelete ? 'multiple' : 'single', read: false } } : {},
    },
  ];
}
