// Builds the Express app from explicit services: operational endpoints, then the FHIR base with
// the request context, content negotiation, body reading, the interaction and operation routes,
// and the one error middleware.
import type { RequestListener } from 'node:http';
import express, { type Request, type Response, type NextFunction } from 'express';
import { ANONYMOUS } from './access/caller';
import type { ServerServices } from './context/server-services';
import { errors } from './fhir/errors';
import { ID_PATTERN } from './interactions/resource-write';
import { contextMiddleware, type Authenticate } from './rest/context';
import { errorMiddleware } from './rest/error-middleware';
import type { Feature } from './rest/feature';
import { withFastRead } from './rest/fast-read';
import { withWebHygiene } from './rest/web-hygiene';
import { historyRoutes } from './rest/history-routes';
import { negotiate } from './rest/http-format';
import { metadataRoute, type MetadataSources } from './rest/metadata-route';
import { operationRoutes } from './rest/operation-routes';
import { Admission } from './rest/admission';
import { createMetrics, opsRoutes, recordRequest, registerLoadMetrics } from './rest/ops-routes';
import { limitCallers, RateLimiter } from './rest/rate-limit';
import { readRoute, resourceRoutes } from './rest/resource-routes';
import { consoleRoutes } from './rest/console-routes';
import { apiDocsRoutes } from './rest/api-docs-routes';
import { cdsHooksRoutes } from './rest/cds-hooks-routes';

export interface AppDeps {
  services: ServerServices;
  /** Search, Bundles, PATCH, conditional interactions… Mounted before the instance routes so that
   * e.g. `Patient/_search` is not read as an id; what they declare goes into the CapabilityStatement. */
  features: Feature[];
  metadata: MetadataSources;
  /** The SMART authorization server (`smart` mode), mounted outside the FHIR base. */
  authorizationServer?: express.Router;
  /** Who the caller is (the security layer's); anonymous when absent. */
  authenticate?: Authenticate;
}

export const SOFTWARE = { name: 'Nimbus FHIR', version: '0.1.0' };

/** The request listener of the FHIR server: admission (load shedding, per-IP rate; admission.ts),
 * the read-by-id fast path (fast-read.ts), then Express. */
export function createApp(deps: AppDeps): RequestListener {
  const { services, features } = deps;
  const { config, logger } = services;
  const perCaller = config.rateLimitPerCaller && new RateLimiter(config.rateLimitPerCaller, config.processes);
  const authenticate = limitCallers(deps.authenticate ?? (() => ANONYMOUS), perCaller, services.stats);
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
  app.use(opsRoutes(services.engine, services.jobs, metrics, logger));

  const fhir = express.Router();
  fhir.use(contextMiddleware(services, authenticate));
  fhir.use((req, res, next) => {
    res.locals.mount = '/fhir'; // req.baseUrl is reset once the router is left; metrics need it
    res.locals.mediaType = negotiate(req);
    next();
  });
  const readBody = express.raw({ type: () => true, limit: config.maxBodyBytes });
  fhir.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : readBody(req, res, next)));
  fhir.use(metadataRoute(features, services.operations, deps.metadata));
  // Read by id is the hottest route: answer it before walking every feature router.
  fhir.get('/:type/:id', (req, res, next) => (isPlainRead(req, services) ? readRoute(req, res) : next()));
  fhir.use(historyRoutes());
  fhir.use(operationRoutes());
  for (const f of features) fhir.use(f.router);
  fhir.use(resourceRoutes());
  fhir.use((req) => {
    throw methodOrRoute(req);
  });
  app.use(apiDocsRoutes({ features, validator: services.core.validator, operations: services.operations, metadata: deps.metadata, config }));
  if (deps.authorizationServer) app.use(deps.authorizationServer);
  app.use('/cds-services', cdsHooksRoutes(services, authenticate));
  app.use('/fhir', fhir);
  app.use(consoleRoutes(config, SOFTWARE.version));
  app.use((req: Request) => {
    throw errors.unknownRoute(req.path);
  });
  app.use(errorMiddleware(logger, config.maxBodyBytes));
  const admission = new Admission(withFastRead(app, services, authenticate, metrics, logger), {
    maxInFlight: config.maxInFlight,
    maxQueued: config.maxQueued,
    requestTimeoutMs: config.requestTimeoutMs,
    perIp: config.rateLimitPerIp && new RateLimiter(config.rateLimitPerIp, config.processes),
    stats: services.stats,
  });
  registerLoadMetrics(metrics.registry, () => admission.state, services.stats);
  // Outermost: nosniff, no-store and CORS on every answer, the admission's 503/429 included.
  return withWebHygiene(admission.listener, config);
}

/** `[type]/[id]` of a known type and an id-shaped id (not `_history`, `_search`, `$op`). */
function isPlainRead(req: Request, services: ServerServices): boolean {
  const id = String(req.params.id);
  return services.core.definitions.isResourceType(String(req.params.type)) && ID_PATTERN.test(id);
}

/** 405 with Allow for a known path shape and an unserved method; 404 otherwise. */
function methodOrRoute(req: Request) {
  const parts = req.path.split('/').filter(Boolean);
  const allow =
    parts.length === 1 ? ['GET', 'POST'] : parts.length === 2 && !parts[1].startsWith('_') && !parts[1].startsWith('$') ? ['GET', 'PUT', 'DELETE'] : undefined;
  if (allow && !allow.includes(req.method)) return errors.methodNotAllowed(req.method, req.path.slice(0, 200), allow);
  return errors.unknownRoute(req.path);
}
