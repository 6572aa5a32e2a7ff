// HTTP adapter of the search interaction (R4 search.html §3.1.0.1):
//   GET  [base]/[type]?…                 POST [base]/[type]/_search  (form body, same result)
//   GET  [base]?_type=…                  POST [base]/_search
//   GET  [base]/[Compartment]/[id]/[type]?…   (also `*` for every member type)
// The searches run through the request context's door, so the caller's access policy applies.
import express, { type Request, type Response, type NextFunction } from 'express';
import type { Feature } from './feature';
import { errors } from '../fhir/errors';
import { searchJson, type SearchServices } from '../search/service';
import { parsePrefer, param } from './request';
import { sendJson } from './http-format';
import { contextOf } from './context';
import { noteTouched } from './audit-hook';
import type { EngineReader } from '../storage/engine';

/** The raw query string in order, with repetitions (Express' parsed query loses both). */
function queryPairs(req: Request): Array<[string, string]> {
  const url = req.originalUrl;
  const q = url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))];
}

/** POST _search: form body parameters, after any in the URL (R4 allows both). */
function formPairs(req: Request): Array<[string, string]> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  if (body.length && type !== 'application/x-www-form-urlencoded') throw errors.unsupportedMediaType(type || '(none)');
  return [...queryPairs(req), ...new URLSearchParams(body)];
}

/** `services` describes the search capability at start-up (types, parameters); each request
 * searches with its own context's services and door. */
export function searchFeature(services: SearchServices): Feature {
  const router = express.Router();
  const isType = (t: string) => services.registry.resourceTypes.has(t);

  const run = async (req: Request, res: Response, query: Array<[string, string]>, target: { resourceType?: string; compartment?: { type: string; id: string } }) => {
    const ctx = contextOf(res);
    // The door, noting what it found for the audit trail (its patients go in the AuditEvent).
    const data = ctx.data;
    const reader: EngineReader = ctx.services.audit
      ? {
          read: (type, id) => data.read(type, id),
          vread: (type, id, v) => data.vread(type, id, v),
          search: async (plan) => {
            const result = await data.search(plan);
            noteTouched(res, result.matches);
            return result;
          },
        }
      : data;
    const bundle = await searchJson(ctx.services.search, reader, {
      ...target,
      query,
      lenient: parsePrefer(req).lenient,
      baseUrl: ctx.baseUrl,
    });
    sendJson(req, res, 200, bundle);
  };

  // GET [base] with or without parameters: system search (no parameters: every resource, paged).
  router.get('/', async (req, res) => run(req, res, queryPairs(req), {}));
  router.post('/_search', async (req, res) => run(req, res, formPairs(req), {}));
  router.get('/:type', async (req, res, next: NextFunction) => {
    if (!isType(param(req, 'type'))) return next();
    await run(req, res, queryPairs(req), { resourceType: param(req, 'type') });
  });
  router.post('/:type/_search', async (req, res, next: NextFunction) => {
    if (!isType(param(req, 'type'))) return next();
    await run(req, res, formPairs(req), { resourceType: param(req, 'type') });
  });
  const compartment = (method: 'get' | 'post') => async (req: Request, res: Response, next: NextFunction) => {
    const type = param(req, 'type');
    const owner = param(req, 'compartment');
    if (!services.compartments.has(owner) || (type !== '*' && !isType(type))) return next();
    const query = method === 'get' ? queryPairs(req) : formPairs(req);
    await run(req, res, query, { resourceType: type, compartment: { type: owner, id: param(req, 'id') } });
  };
  router.get('/:compartment/:id/:type', compartment('get'));
  router.post('/:compartment/:id/:type/_search', compartment('post'));

  return {
    name: 'search',
    router,
    typeInteractions: ['search-type'],
    systemInteractions: ['search-system'],
    capability: {
      searchParams: (type: string) =>
        [...services.registry.paramsFor(type).values()]
          .filter((p) => !p.code.startsWith('_') && p.code !== 'near')
          .map((p) => ({ name: p.code, definition: p.url, type: p.type })),
      commonSearchParams: ['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source', '_text', '_content', '_list', '_has', '_type'].map((name) => ({
        name,
        type: name === '_lastUpdated' ? 'date' : name === '_profile' || name === '_source' ? 'uri' : name === '_text' || name === '_content' ? 'string' : name === '_has' ? 'special' : 'token',
      })),
      searchIncludes: (type: string) => [...services.registry.paramsFor(type).values()].filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`),
      searchRevIncludes: () => [],
    },
  };
}
