// FHIR content negotiation and response writing: which JSON media type to answer in (Accept and
// `_format`), `_pretty`, FHIR headers for a version (ETag, Last-Modified, Location), and reading a
// request body as FHIR JSON. Only JSON is served; XML and other formats are refused with 406/415.
import type { Request, Response } from 'express';
import { errors } from '../fhir/errors';
import { parseFhirJson, parseStoredJson, stringifyJson } from '../fhir/json';
import type { ResourceVersion } from '../storage/engine';
import { lookupTable } from '../lookup-table';

const FHIR_JSON = 'application/fhir+json';
const JSON_TYPE = 'application/json';
// `_format=__proto__` must find nothing (fuzz:api saw `Content-Type: [object Object]`): see lookup-table.
const FORMAT_ALIASES = lookupTable({
  json: FHIR_JSON,
  'application/json': JSON_TYPE,
  'application/fhir+json': FHIR_JSON,
  'text/json': JSON_TYPE,
});
/** Request body media types accepted as FHIR JSON (R4 also allows the R3-era json+fhir). */
const JSON_BODY_TYPES = new Set([FHIR_JSON, JSON_TYPE, 'application/json+fhir', 'text/json']);

/** Chooses the response media type, or throws 406. Called once per request by a middleware. */
export function negotiate(req: Request): string {
  return negotiateMediaType(firstQueryValue(req, '_format'), req.headers.accept);
}

/** The media type for `_format` (wins when given) and the Accept header, or a 406. */
export function negotiateMediaType(format: string | undefined, accept: string | undefined): string {
  if (format !== undefined) {
    const chosen = FORMAT_ALIASES[format.trim().toLowerCase().split(';')[0].trim()];
    if (!chosen) throw errors.notAcceptable(format);
    return chosen;
  }
  if (!accept) return FHIR_JSON;
  let wildcard = false;
  for (const part of accept.split(',')) {
    const [typeRaw, ...params] = part.split(';');
    const type = typeRaw.trim().toLowerCase();
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) continue;
    if (type === FHIR_JSON || type === 'application/json+fhir') return FHIR_JSON;
    if (type === JSON_TYPE || type === 'text/json') return JSON_TYPE;
    if (type === '*/*' || type === 'application/*' || type === '') wildcard = true;
  }
  if (wildcard) return FHIR_JSON;
  throw errors.notAcceptable(accept);
}

export function firstQueryValue(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function isPretty(req: Request): boolean {
  return firstQueryValue(req, '_pretty') === 'true';
}

/** Writes a FHIR JSON body (object or already-serialised text) in the negotiated media type. */
export function sendJson(req: Request, res: Response, status: number, body: unknown | string): void {
  const mediaType = (res.locals.mediaType as string | undefined) ?? FHIR_JSON;
  let text: string;
  // stringifyJson keeps decimals exactly as they were sent (`1.50`), which JSON.stringify would not.
  if (typeof body === 'string') text = isPretty(req) ? stringifyJson(parseStoredJson(body), 2) : body;
  else text = stringifyJson(body, isPretty(req) ? 2 : undefined);
  res.status(status);
  res.setHeader('Content-Type', jsonContentType(mediaType));
  res.end(text);
}

/** The Content-Type header of a JSON body in the negotiated media type. */
export function jsonContentType(mediaType: string): string {
  return `${mediaType}; charset=utf-8`;
}

/** ETag and Last-Modified of a version (on reads and writes alike). */
export function setVersionHeaders(res: { setHeader(name: string, value: string): unknown }, v: ResourceVersion): void {
  res.setHeader('ETag', `W/"${v.versionId}"`);
  res.setHeader('Last-Modified', new Date(v.lastUpdated).toUTCString());
}

/** Parses a request body as a FHIR JSON resource. Content types other than JSON are 415. */
export function readJsonBody(req: Request): unknown {
  const raw = req.body;
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    throw errors.badRequest('The request needs a body: a FHIR resource in JSON');
  }
  if (!JSON_BODY_TYPES.has(contentType)) throw errors.unsupportedMediaType(contentType || '(none)');
  return parseJson(raw.toString('utf8'));
}

/** Client JSON as FHIR values (fhir/json.ts): too deep, not JSON or a number out of range is a
 * 400; decimals keep their text. Prototypes are never assigned, and the validator rejects
 * `__proto__`/`constructor` keys before anything is stored or merged. */
export function parseJson(text: string): unknown {
  return parseFhirJson(text);
}

export function isJsonBodyType(contentType: string): boolean {
  return JSON_BODY_TYPES.has(contentType);
}
