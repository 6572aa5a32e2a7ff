// The one place where errors become HTTP answers: a FhirError keeps its status and issues; errors
// raised by body parsing are mapped to their 4xx; a database that cannot serve now is a 503 with
// Retry-After (storage/unavailable.ts); anything else is a 500 whose details stay in the log
// (never in the response). 4xx are logged at info, the 503s the server chooses
// (time budget spent) at warn, other 5xx at error.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { errors, FhirError } from '../fhir/errors';
import { unavailableFrom } from '../storage/unavailable';
import { sendJson } from './http-format';

interface HttpishError {
  type?: string;
  status?: number;
  limit?: number;
  message?: string;
}

export function toFhirError(e: unknown, maxBody: number): FhirError {
  if (e instanceof FhirError) return e;
  const unavailable = unavailableFrom(e); // database down, disk full, locked: 503, not 500
  if (unavailable) return unavailable;
  const h = e as HttpishError;
  if (h?.type === 'entity.too.large') return errors.payloadTooLarge(`${maxBody} bytes`);
  if (h?.type === 'encoding.unsupported' || h?.type === 'charset.unsupported') return errors.unsupportedMediaType(h.message ?? 'charset');
  if (h?.type === 'request.aborted') return errors.badRequest('The request was aborted by the client');
  if (typeof h?.status === 'number' && h.status >= 400 && h.status < 500) return errors.badRequest(h.message ?? 'Bad request');
  return errors.internal();
}

export function errorMiddleware(logger: Logger, maxBody: number) {
  return (e: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const fhirError = toFhirError(e, maxBody);
    // A 5xx the server chose (time budget spent, at capacity) is a warning; any other is an error.
    if (fhirError.status >= 500 && e instanceof FhirError) logger.warn({ status: fhirError.status, code: fhirError.errorCode, method: req.method }, 'request not completed');
    else if (fhirError.status >= 500) logger.error({ err: e, method: req.method, route: req.route?.path }, 'request failed');
    else logger.info({ status: fhirError.status, code: fhirError.errorCode, method: req.method }, 'request refused');
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(fhirError.headers)) res.setHeader(k, v);
    sendJson(req, res, fhirError.status, fhirError.toOperationOutcome());
  };
}
