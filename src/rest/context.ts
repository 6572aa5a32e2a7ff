// Builds the request context for each request to the FHIR base (request id, caller, base URL, a
// signal for a client that has gone) and hands it to the routes through res.locals.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ANONYMOUS, type Caller } from '../access/caller';
import { auditOnFinish } from './audit-hook';
import { createRequestContext, requestIdFrom, type RequestContext } from '../context/request-context';
import type { ServerServices } from '../context/server-services';
import { baseUrlOf } from './request';

/** Who the caller of a request is; anonymous until authorization is configured. */
export type Authenticate = (req: IncomingMessage) => Caller | Promise<Caller>;

/** The context of a request, for the fast path and the Express routes alike. */
export async function contextFor(
  services: ServerServices,
  authenticate: Authenticate,
  req: IncomingMessage,
  res: ServerResponse,
  baseUrl: string,
  signal?: AbortSignal,
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
  return createRequestContext(services, { requestId, caller, baseUrl, signal });
}

export function contextMiddleware(services: ServerServices, authenticate: Authenticate) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // Work for a client that has gone stops at its next check (long searches, operations, jobs).
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    res.locals.ctx = await contextFor(services, authenticate, req, res, baseUrlOf(req, services.config), gone.signal);
    next();
  };
}

export function contextOf(res: Response): RequestContext {
  const ctx = res.locals.ctx as RequestContext | undefined;
  if (!ctx) throw new Error('no request context: contextMiddleware must run first');
  return ctx;
}
