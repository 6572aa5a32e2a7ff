// Builds the request context for each request to the FHIR base (request id, caller, base URL, a
// signal for a client that has gone) and hands it to the routes through res.locals.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ANONYMOUS, type Caller } from '../access/caller';
import { auditOnFinish } from './audit-hook';
import { RequestBudget } from '../context/budget';
import { createRequestContext, requestIdFrom, type RequestContext } from '../context/request-context';
import type { ServerServices } from '../context/server-services';
import { arrivalOf } from './admission';
import { baseUrlOf } from './request';

/** Who the caller of a request is; anonymous until authorization is configured. */
export type Authenticate = (req: IncomingMessage) => Caller | Promise<Caller>;

/** The context of a request, for the fast path and the Express routes alike. */
export async function contextFor(
  services: ServerServices,
  authenticate: Authenticate,
  req: IncomingMessage,
  res: ServerResponse,
  baseUrl: string | (() => string),
  budget?: RequestBudget,
): Promise<RequestContext> {
  const requestId = requestIdFrom(req.headers['x-request-id']);
  res.setHeader('X-Request-Id', requestId);
  let caller: Caller;
  try {
    caller = await authenticate(req);
  } catch (e) {
    // A refused token is an access attempt too: audited as anonymous with its 401.
    auditOnFinish(services, req, res, ANONYMOUS, requestId);
    throw e;
  }
  auditOnFinish(services, req, res, caller, requestId);
  return createRequestContext(services, { requestId, caller, baseUrl, budget });
}

export function contextMiddleware(services: ServerServices, authenticate: Authenticate) {
  const { config, stats, logger } = services;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // The request's time budget counts from its arrival (time queued by admission.ts included).
    // Work stops at its next check when the budget is spent or the client has gone: searches in
    // the engines, Bundle entries, operations.
    const budget = RequestBudget.forRequest(config.requestTimeoutMs, arrivalOf(req));
    res.once('close', () => {
      if (!res.writableFinished) budget.clientGone();
      budget.finish();
      const stopped = budget.stopped;
      if (stopped) {
        stats.stopped[stopped]++;
        logger.info({ method: req.method, path: req.path.slice(0, 200), reason: stopped }, 'request stopped before completion');
      }
    });
    res.locals.ctx = await contextFor(services, authenticate, req, res, () => baseUrlOf(req, config), budget);
    next();
  };
}

export function contextOf(res: Response): RequestContext {
  const ctx = res.locals.ctx as RequestContext | undefined;
  if (!ctx) throw new Error('no request context: contextMiddleware must run first');
  return ctx;
}
