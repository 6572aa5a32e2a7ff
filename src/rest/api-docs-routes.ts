// The API description and its docs page, both public like the CapabilityStatement:
// - GET /fhir/openapi.json: the OpenAPI 3.1 document (src/openapi/), generated once per base URL
//   and kept (it is several megabytes and changes only with the server's wiring);
// - GET /docs/: Swagger UI from the swagger-ui-dist package, served from node_modules (no CDN),
//   with this server's own page and initializer pointing at ../fhir/openapi.json.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import express, { Router, type Request, type Response } from 'express';
import type { Config } from '../config';
import type { OperationRegistry } from '../operations/registry';
import { buildOpenApiDocument, rebase } from '../openapi/document';
import type { Json } from '../openapi/components';
import { officialExamples } from '../openapi/examples';
import { hasErrors, type ResourceValidator } from '../fhir/validation';
import { SCOPES_SUPPORTED } from '../auth/discovery';
import { capabilityStatementBuilder, type MetadataSources } from './metadata-route';
import type { Feature } from './feature';
import { baseUrlOf } from './request';

export const OPENAPI_PATH = '/fhir/openapi.json';
export const DOCS_PATH = '/docs';

/** Files of swagger-ui-dist the page needs; nothing else of the package is served. */
const SWAGGER_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'oauth2-redirect.html': 'text/html; charset=utf-8',
  'oauth2-redirect.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Nimbus FHIR API</title>
  <link rel="stylesheet" href="swagger-ui.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
  <style>
    body { margin: 0; } .swagger-ui .info { margin: 24px 0; }
    /* Swagger UI's own colours where they fall below 4.5:1 contrast (axe-core, WCAG AA). */
    .swagger-ui .info .title small { background: #4a5058; }
    .swagger-ui .info .title small.version-stamp { background: #3b6e04; }
    .swagger-ui .info a, .swagger-ui .info .url, .swagger-ui .info__extdocs { color: #1f5fa8; }
    .swagger-ui .parameter__in, .swagger-ui .parameter__deprecated { color: #555d66; }
    .swagger-ui .btn.cancel { color: #b3261e; border-color: #b3261e; }
    .swagger-ui .btn.execute { background-color: #1f5fa8; border-color: #1f5fa8; }
    .swagger-ui .opblock.opblock-get .opblock-summary-method { background: #0b5cad; }
    .swagger-ui .opblock.opblock-post .opblock-summary-method { background: #17794a; }
    .swagger-ui .opblock.opblock-put .opblock-summary-method { background: #9a5200; }
    .swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b3261e; }
    .swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #0b7263; }
    .swagger-ui .opblock.opblock-head .opblock-summary-method { background: #6d10c0; }
    .swagger-ui .opblock.opblock-options .opblock-summary-method { background: #0d5aa7; }
  </style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js"></script>
  <script src="docs.js"></script>
</body>
</html>
`;

// validatorUrl null: Swagger UI would otherwise send the document to an outside validator.
// deepLinking off: with it each operation's path is a link inside the button that opens the
// operation (nested interactive controls, which screen readers and axe-core reject). Swagger UI
// leaves its server and enum <select>s without a name; they are named after what they choose.
const INITIALIZER = `window.addEventListener('load', function () {
  var here = new URL('.', window.location.href);
  new MutationObserver(function () {
    document.querySelectorAll('#swagger-ui select:not([aria-label])').forEach(function (el) {
      // A label around the select alone (the servers one) names it with its options: no name.
      var own = el.textContent.trim();
      if (el.labels && Array.prototype.some.call(el.labels, function (l) { var t = l.textContent.trim(); return t && t !== own; })) return;
      var param = el.closest('tr[data-param-name]');
      el.setAttribute('aria-label', el.id === 'servers' ? 'Server' : param ? param.getAttribute('data-param-name') : 'Choice');
    });
  }).observe(document.body, { childList: true, subtree: true });
  window.ui = SwaggerUIBundle({
    url: new URL('../fhir/openapi.json', here).toString(),
    dom_id: '#swagger-ui',
    deepLinking: false,
    docExpansion: 'none',
    filter: true,
    validatorUrl: null,
    defaultModelsExpandDepth: 0,
    oauth2RedirectUrl: new URL('oauth2-redirect.html', here).toString(),
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
  window.ui.initOAuth({ usePkceWithAuthorizationCodeGrant: true, scopes: 'openid fhirUser' });
});
`;

export interface ApiDocsSources {
  features: Feature[];
  /** Checks the request-body examples: only resources the server accepts are shown. */
  validator: ResourceValidator;
  operations: OperationRegistry;
  metadata: MetadataSources;
  config: Pick<Config, 'baseUrl' | 'trustProxy' | 'auth'>;
}

export function apiDocsRoutes(src: ApiDocsSources): Router {
  const router = Router({ strict: true }); // `/docs` redirects to `/docs/`, so the two must differ
  const statementFor = capabilityStatementBuilder(src.features, src.operations, src.metadata);
  const cache = new Map<string, { json: Buffer; gzip: Buffer }>();
  const exampleOf = officialExamples((resource, type) => !hasErrors(src.validator.validate(resource, type)));
  const options = { bearerOnly: src.config.auth === 'external', scopes: SCOPES_SUPPORTED };
  // The paths are built once (seconds of CPU with the examples' validation); each base URL only
  // swaps in its server and OAuth URLs.
  let built: Json | undefined;
  const documentFor = (base: string) => {
    let entry = cache.get(base);
    if (!entry) {
      const capability = statementFor(base);
      built ??= buildOpenApiDocument({ capability, operations: src.operations.modules, exampleOf, ...options });
      const json = Buffer.from(JSON.stringify(rebase(built, capability, options)));
      entry = { json, gzip: zlib.gzipSync(json) };
      // Base URLs come from Host / X-Forwarded-Host headers: keep only a few.
      if (cache.size >= 4) cache.delete(cache.keys().next().value!);
      cache.set(base, entry);
    }
    return entry;
  };

  router.get(OPENAPI_PATH, (req: Request, res: Response) => {
    const doc = documentFor(baseUrlOf(req, src.config));
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Vary', 'Accept-Encoding');
    res.setHeader('Cache-Control', 'no-cache');
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      res.setHeader('Content-Encoding', 'gzip');
      res.end(req.method === 'HEAD' ? undefined : doc.gzip);
    } else res.end(req.method === 'HEAD' ? undefined : doc.json);
  });

  const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const page = (type: string, body: string | Buffer) => (_req: Request, res: Response) => {
    res.setHeader('Content-Type', type);
    res.setHeader('Cache-Control', 'no-cache');
    res.end(body);
  };
  router.get(DOCS_PATH, (req, res) => res.redirect(301, `${req.baseUrl}${DOCS_PATH}/`));
  router.get(`${DOCS_PATH}/`, page('text/html; charset=utf-8', PAGE));
  router.get(`${DOCS_PATH}/index.html`, page('text/html; charset=utf-8', PAGE));
  router.get(`${DOCS_PATH}/docs.js`, page('text/javascript; charset=utf-8', INITIALIZER));
  const files = express.static(dist, { index: false, fallthrough: true, maxAge: '1h' });
  router.get(`${DOCS_PATH}/:file`, (req, res, next) => {
    const file = String(req.params.file);
    if (!Object.hasOwn(SWAGGER_FILES, file) || !fs.existsSync(path.join(dist, file))) return next();
    req.url = `/${file}`;
    files(req, res, next);
  });
  return router;
}
