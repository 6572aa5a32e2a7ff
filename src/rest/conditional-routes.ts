// Conditional create (POST with If-None-Exist), update (PUT [type]?criteria) and delete
// (DELETE [type]?criteria) over HTTP. Match and write run in one engine transaction through the
// request's door (see interactions/conditional.ts), so concurrent identical requests cannot both
// create, and a match never reveals a resource the caller may not see.
import { Router } from 'express';
import { informational } from '../fhir/errors';
import { conditionalCreateIn, conditionalDeleteIn, conditionalUpdateIn } from '../interactions/conditional';
import { afterConcurrentWriters } from '../interactions/crud';
import { contextOf } from './context';
import { readJsonBody, sendJson, setVersionHeaders } from './http-format';
import { rawQuery } from './patch-routes';
import { param, parsePrefer } from './request';
import { sendWrite } from './resource-routes';

export function conditionalRoutes(): Router {
  const router = Router();

  router.post('/:type', async (req, res, next) => {
    const criteria = req.headers['if-none-exist'];
    if (criteria === undefined) return next(); // a plain create
    const ctx = contextOf(res);
    const body = readJsonBody(req);
    const outcome = await ctx.data.transaction((tx) => conditionalCreateIn(tx, ctx.services.core, ctx.services.matcher, param(req, 'type'), body, String(criteria)));
    sendWrite(req, res, outcome);
  });

  // Without criteria, PUT/DELETE on a type are no interaction: fall through to app.ts' 405.
  router.put('/:type', async (req, res, next) => {
    const criteria = rawQuery(req);
    if (!criteria) return next();
    const ctx = contextOf(res);
    const body = readJsonBody(req);
    const pre = { ifMatch: req.headers['if-match'] };
    const outcome = await afterConcurrentWriters(pre, () =>
      ctx.data.transaction((tx) => conditionalUpdateIn(tx, ctx.services.core, ctx.services.matcher, param(req, 'type'), criteria, body, pre)),
    );
    sendWrite(req, res, outcome);
  });

  router.delete('/:type', async (req, res, next) => {
    const criteria = rawQuery(req);
    if (!criteria) return next();
    const ctx = contextOf(res);
    const pre = { allowMultiple: ctx.services.config.allowMultipleDelete, ifMatch: req.headers['if-match'] };
    const outcomes = await afterConcurrentWriters(pre, () =>
      ctx.data.transaction((tx) => conditionalDeleteIn(tx, ctx.services.core, ctx.services.matcher, param(req, 'type'), criteria, pre)),
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
