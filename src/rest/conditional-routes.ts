// Conditional create (POST with If-None-Exist), update (PUT [type]?criteria) and delete
// (DELETE [type]?criteria) over HTTP. Match and write run in one engine transaction (see
// interactions/conditional.ts), so concurrent identical requests cannot both create.
import { Router } from 'express';
import { informational } from '../fhir/errors';
import {
  conditionalCreateIn,
  conditionalDeleteIn,
  conditionalUpdateIn,
  requireMatcher,
  type CriteriaMatcher,
} from '../interactions/conditional';
import type { Services } from '../interactions/services';
import { afterConcurrentWriters } from '../interactions/crud';
import { readJsonBody, sendJson, setVersionHeaders } from './http-format';
import { rawQuery } from './patch-routes';
import { param, parsePrefer } from './request';
import { sendWrite, type RouteOptions } from './resource-routes';

export interface ConditionalOptions extends RouteOptions {
  allowMultipleDelete: boolean;
}

export function conditionalRoutes(services: Services, matcher: CriteriaMatcher | undefined, options: ConditionalOptions): Router {
  const router = Router();

  router.post('/:type', async (req, res, next) => {
    const criteria = req.headers['if-none-exist'];
    if (criteria === undefined) return next(); // a plain create
    const body = readJsonBody(req);
    const outcome = await services.engine.transaction((tx) =>
      conditionalCreateIn(tx, services, requireMatcher(matcher), param(req, 'type'), body, String(criteria)),
    );
    sendWrite(req, res, outcome, options);
  });

  // Without criteria, PUT/DELETE on a type are no interaction: fall through to app.ts' 405.
  router.put('/:type', async (req, res, next) => {
    const criteria = rawQuery(req);
    if (!criteria) return next();
    const body = readJsonBody(req);
    const pre = { ifMatch: req.headers['if-match'] };
    const outcome = await afterConcurrentWriters(pre, () =>
      services.engine.transaction((tx) => conditionalUpdateIn(tx, services, requireMatcher(matcher), param(req, 'type'), criteria, body, pre)),
    );
    sendWrite(req, res, outcome, options);
  });

  router.delete('/:type', async (req, res, next) => {
    const criteria = rawQuery(req);
    if (!criteria) return next();
    const pre = { allowMultiple: options.allowMultipleDelete, ifMatch: req.headers['if-match'] };
    const outcomes = await afterConcurrentWriters(pre, () =>
      services.engine.transaction((tx) => conditionalDeleteIn(tx, services, requireMatcher(matcher), param(req, 'type'), criteria, pre)),
    );
    const written = outcomes.filter((o) => o.version);
    if (written.length === 1) setVersionHeaders(res, written[0].version!);
    if (parsePrefer(req).return === 'OperationOutcome') {
      const what = written.length ? written.map((o) => `${o.version!.resourceType}/${o.version!.id}`).join(', ') : 'nothing matched';
      sendJson(req, res, 200, informational(`Conditional delete: ${what}`));
    } else res.status(204).end();
  });

  return router;
}
