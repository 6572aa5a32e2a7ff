// Read by id ahead of Express. It is the most frequent interaction by far (every client
// dereferences references one by one), and Express's per-request work (request and response
// decoration, router layers, route matching) cost more than the read itself: measured at 32
// connections, the Express app answered reads at 54 % of a bare Express ceiling. This path answers
// only the plain case, byte for byte as the Express route would: `GET /fhir/{type}/{id}` without a
// query string or conditional headers, of a current (not deleted) resource, in a JSON media type
// the Accept header allows. Anything else, errors included, goes to the Express app unchanged.
// It reads through the same request context and door as every other read, so the caller's access
// policy applies here too.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ServerServices } from '../context/server-services';
import { ID_PATTERN } from '../interactions/resource-write';
import { contextFor, type Authenticate } from './context';
import { jsonContentType, negotiateMediaType, setVersionHeaders } from './http-format';
import { recordRequest, type HttpMetrics } from './ops-routes';
import { baseUrlOf } from './request';

const PREFIX = '/fhir/';
/** The route label the Express read route reports, so metrics do not depend on which path served. */
const ROUTE = '/fhir/:type/:id';

export function withFastRead(app: RequestListener, services: ServerServices, authenticate: Authenticate, metrics: HttpMetrics, logger: Logger): RequestListener {
  const isResourceType = services.core.definitions.isResourceType;
  return (req, res) => {
    const target = plainRead(req, isResourceType);
    if (!target) return app(req, res);
    void answer(req, res, target).catch(() => {
      // Nothing was sent yet (the read failed): the Express route reports the failure properly.
      if (!res.headersSent) app(req, res);
      else res.destroy();
    });
  };

  async function answer(req: IncomingMessage, res: ServerResponse, target: PlainRead): Promise<void> {
    const start = process.hrtime.bigint();
    const ctx = await contextFor(services, authenticate, req, res, () => baseUrlOf(req, services.config));
    const v = await ctx.data.read(target.type, target.id);
    if (!v || v.deleted || v.json === undefined) return void app(req, res); // 404 / 410 with their OperationOutcomes
    setVersionHeaders(res, v);
    res.statusCode = 200;
    res.setHeader('Content-Type', jsonContentType(target.mediaType));
    res.end(v.json);
    recordRequest(metrics, logger, 'GET', ROUTE, 200, start);
  }
}

interface PlainRead {
  type: string;
  id: string;
  mediaType: string;
}

function plainRead(req: IncomingMessage, isResourceType: (type: string) => boolean): PlainRead | undefined {
  const url = req.url;
  if (req.method !== 'GET' || !url || !url.startsWith(PREFIX) || url.includes('?')) return undefined;
  if (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) return undefined;
  const slash = url.indexOf('/', PREFIX.length);
  if (slash < 0) return undefined;
  const type = url.slice(PREFIX.length, slash);
  const id = url.slice(slash + 1);
  if (!ID_PATTERN.test(id) || !isResourceType(type)) return undefined;
  let mediaType: string;
  try {
    mediaType = negotiateMediaType(undefined, req.headers.accept);
  } catch {
    return undefined; // 406 from the Express app
  }
  return { type, id, mediaType };
}
