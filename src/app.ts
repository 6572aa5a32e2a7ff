// Builds the Express app from explicit services: operational endpoints, then the FHIR base with
// content negotiation, body reading, the interaction routes and the one error middleware.
import type { RequestListener } from 'node:http';
import express, { type Request, type Response, type NextFunction, type Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config';
import { errors } from './fhir/errors';
import type { Services } from './interactions/services';
import { negotiate } from './rest/http-format';
import { errorMiddleware } from './rest/error-middleware';
import { readHandler, resourceRoutes } from './rest/resource-routes';
import { ID_PATTERN } from './interactions/resource-write';
import { historyRoutes } from './rest/history-routes';
import { metadataRoute } from './rest/metadata-route';
import { createMetrics, opsRoutes, recordRequest } from './rest/ops-routes';
import { withFastRead } from './rest/fast-read';
import type { CapabilitySources, SystemInteraction, TypeInteraction } from './fhir/capability';

export interface AppDeps {
  config: Config;
  services: Services;
  logger: Logger;
  /** Canonical URLs of the fhir-profiles/ StructureDefinitions by constrained type. */
  profiles?: (type: string) => string[];
  /** Canonical URLs of the fhir-profiles/ CompartmentDefinitions. */
  compartments?: string[];
  /** Further features (search, bundles, operations). Their routers are mounted before the
   * instance routes so that e.g. `Patient/_search` or `Patient/$match` are not read as ids, and
   * what they declare goes into the CapabilityStatement. */
  features?: Feature[];
}

export interface Feature {
  name: string;
  router: Router;
  typeInteractions?: TypeInteraction[];
  systemInteractions?: SystemInteraction[];
  capability?: Partial<Omit<CapabilitySources, 'software' | 'baseUrl' | 'resourceTypes' | 'typeInteractions' | 'systemInteractions' | 'date'>>;
}

export const SOFTWARE = { name: 'Nimbus FHIR', version: '0.1.0' };

/** The request listener of the FHIR server: the read-by-id fast path (fast-read.ts), then Express. */
export function createApp(deps: AppDeps): RequestListener {
  const { config, services, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // FHIR ETags are version ids, never body hashes
  app.set('query parser', 'simple');

  const metrics = createMetrics();
  app.use((req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = req.route?.path ? `${(res.locals.mount as string | undefined) ?? ''}${String(req.route.path)}` : 'unmatched';
      recordRequest(metrics, logger, req.method, route, res.statusCode, start);
    });
    next();
  });
  app.use(opsRoutes(services.engine, metrics, logger));

  const fhir = express.Router();
  fhir.use((req, res, next) => {
    res.locals.mount = '/fhir'; // req.baseUrl is reset once the router is left; metrics need it
    res.locals.mediaType = negotiate(req);
    next();
  });
  const readBody = express.raw({ type: () => true, limit: config.maxBodyBytes });
  fhir.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : readBody(req, res, next)));
  fhir.use(metadataRoute(services, config, deps.features ?? [], { profiles: deps.profiles, compartments: deps.compartments }));
  // Read by id is the hottest route: answer it before walking every feature router.
  const read = readHandler(services);
  fhir.get('/:type/:id', (req, res, next) => (isPlainRead(req, services) ? read(req, res) : next()));
  fhir.use(historyRoutes(services, config));
  for (const f of deps.features ?? []) fhir.use(f.router);
  fhir.use(resourceRoutes(services, config));
  fhir.use((req) => {
    throw methodOrRoute(req);
  });
  app.use('/fhir', fhir);
  app.use((req: Request) => {
    throw errors.unknownRoute(req.path);
  });
  app.use(errorMiddleware(logger, config.maxBodyBytes));
  return withFastRead(app, services, metrics, logger);
}

/** `[type]/[id]` of a known type and an id-shaped id (not `_history`, `_search`, `$op`). */
function isPlainRead(req: Request, services: Services): boolean {
  const id = String(req.params.id);
  return services.definitions.isResourceType(String(req.params.type)) && ID_PATTERN.test(id);
}

/** 405 with Allow for a known path shape and an unserved method; 404 otherwise. */
function methodOrRoute(req: Request) {
  const parts = req.path.split('/').filter(Boolean);
  const allow =
    parts.length === 1 ? ['GET', 'POST'] : parts.length === 2 && !parts[1].startsWith('_') && !parts[1].startsWith('$') ? ['GET', 'PUT', 'DELETE'] : undefined;
  if (allow && !allow.includes(req.method)) return errors.methodNotAllowed(req.method, req.path.slice(0, 200), allow);
  return errors.unknownRoute(req.path);
}
