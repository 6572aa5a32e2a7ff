// Headers every answer needs on the open web, set in front of both the read fast path and Express:
// - `X-Content-Type-Options: nosniff` always, so a browser never runs stored content as script;
// - `Cache-Control: no-store` on FHIR answers when auth is on: they carry patient data that no
//   shared or browser cache may keep (the CapabilityStatement, OpenAPI document and discovery are
//   left cacheable);
// - CORS for the allowlisted origins (NIMBUS_CORS_ORIGINS) only: preflights answered here, the
//   FHIR headers a browser app must read (Location, ETag, Content-Location, Last-Modified) exposed.
//   Tokens travel in the Authorization header, so credentialed (cookie) requests are never allowed.
import type { RequestListener, ServerResponse } from 'node:http';
import type { Config } from '../config';
import { operationOutcome } from '../fhir/errors';

const EXPOSED = 'Location, ETag, Content-Location, Last-Modified, X-Request-Id, X-Progress, Retry-After, WWW-Authenticate';
const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const REQUEST_HEADERS = 'Authorization, Content-Type, Accept, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, Prefer, X-Request-Id';

export function withWebHygiene(app: RequestListener, config: Pick<Config, 'auth' | 'corsOrigins'>): RequestListener {
  const anyOrigin = config.corsOrigins.includes('*');
  const allowed = new Set(config.corsOrigins);
  const noStore = config.auth !== 'off';
  return (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (noStore && carriesData(req.url ?? '')) res.setHeader('Cache-Control', 'no-store');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      res.setHeader('Vary', 'Origin');
      const ok = anyOrigin || allowed.has(origin);
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) return preflight(res, ok ? origin : undefined, anyOrigin);
      if (ok) {
        res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
        res.setHeader('Access-Control-Expose-Headers', EXPOSED);
      }
    }
    app(req, res);
  };
}

function preflight(res: ServerResponse, origin: string | undefined, anyOrigin: boolean): void {
  if (!origin) {
    const body = JSON.stringify(operationOutcome([{ severity: 'error', code: 'forbidden', diagnostics: 'This origin is not allowed to call the server from a browser (NIMBUS_CORS_ORIGINS)' }]));
    res.writeHead(403, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(204, {
    'Access-Control-Allow-Origin': anyOrigin ? '*' : origin,
    'Access-Control-Allow-Methods': METHODS,
    'Access-Control-Allow-Headers': REQUEST_HEADERS,
    'Access-Control-Max-Age': '600',
  });
  res.end();
}

/** FHIR answers other than the CapabilityStatement and the discovery documents. */
function carriesData(url: string): boolean {
  const path = url.split('?')[0];
  return path.startsWith('/fhir') && path !== '/fhir/metadata' && path !== '/fhir/openapi.json' && !path.startsWith('/fhir/.well-known/');
}

