// Reads a batch/transaction Bundle into typed entry requests: method, target (type, id, version,
// criteria), fullUrl and conditional headers, refusing malformed entries with the entry's index.
// Limits are checked here, before any entry is looked at, so an oversized Bundle costs no work.
import type { Resource } from '@medplum/fhirtypes';
import { errors, FhirError } from '../fhir/errors';
import type { FhirDefinitions } from '../fhir/definitions';
import { ID_PATTERN } from '../interactions/resource-write';

export type EntryMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS = new Set<EntryMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface EntryRequest {
  /** Position in Bundle.entry (responses and errors name it). */
  index: number;
  method: EntryMethod;
  /** request.url as sent (for messages). */
  url: string;
  type?: string;
  id?: string;
  /** `_history/[vid]` (vread) */
  vid?: string;
  /** `[type]/[id]/_history` or `[type]/_history` */
  history?: boolean;
  /** `$operation` (with the `$`): the entry calls an operation (GET or POST). */
  operation?: string;
  /** Query string after `?` (search criteria, conditional criteria); undefined without `?`. */
  query?: string;
  fullUrl?: string;
  resource?: Resource & Record<string, unknown>;
  ifNoneExist?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

export interface ParsedBundle {
  type: 'batch' | 'transaction';
  /** Entries as sent; parse each with parseEntry (a batch answers a malformed entry in place). */
  entries: unknown[];
}

/** Wraps an error of one entry so that the OperationOutcome names the entry and its request. */
export function atEntry(entry: Pick<EntryRequest, 'index' | 'method' | 'url'>, e: unknown): FhirError {
  const where = `Bundle.entry[${entry.index}]`;
  const label = `${where} (${entry.method} ${entry.url.slice(0, 120)})`;
  if (e instanceof FhirError) {
    return new FhirError(
      e.status,
      e.errorCode,
      e.issues.map((i) => ({ ...i, diagnostics: `${label}: ${i.diagnostics}`, expression: [where, ...(i.expression ?? []).map((x) => `${where}.resource.${x}`)] })),
      e.headers,
    );
  }
  return e as FhirError;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export interface BundleLimits {
  maxEntries: number;
}

/** Checks the envelope and the entry limit, before any entry is looked at. */
export function parseBundle(body: unknown, limits: BundleLimits): ParsedBundle {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.notAResource();
  const b = body as { resourceType?: unknown; type?: unknown; entry?: unknown };
  if (b.resourceType !== 'Bundle') throw errors.badRequest(`POST to the base needs a Bundle, not '${String(b.resourceType).slice(0, 60)}'`);
  if (b.type !== 'batch' && b.type !== 'transaction') {
    throw errors.badRequest(`Bundle.type must be 'batch' or 'transaction' to be processed, not '${String(b.type).slice(0, 40)}'`, ['Bundle.type']);
  }
  const raw = b.entry === undefined ? [] : b.entry;
  if (!Array.isArray(raw)) throw errors.badRequest('Bundle.entry must be an array', ['Bundle.entry']);
  if (raw.length > limits.maxEntries) {
    throw new FhirError(413, 'TOO_MANY_ENTRIES', [
      { severity: 'error', code: 'too-costly', diagnostics: `The Bundle has ${raw.length} entries; this server accepts at most ${limits.maxEntries} per Bundle` },
    ]);
  }
  return { type: b.type, entries: raw };
}

/** Parses one entry; errors carry the entry index. */
export function parseEntry(raw: unknown, index: number, definitions: FhirDefinitions): EntryRequest {
  const e = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const req = (e.request && typeof e.request === 'object' ? e.request : undefined) as Record<string, unknown> | undefined;
  const label = { index, method: (str(req?.method) ?? '?') as EntryMethod, url: str(req?.url) ?? '?' };
  try {
    if (!req) throw errors.badRequest('the entry has no request (method and url)');
    const method = str(req.method)?.toUpperCase() as EntryMethod | undefined;
    if (!method || !METHODS.has(method)) throw errors.badRequest(`request.method must be one of ${[...METHODS].join(', ')}`);
    const url = str(req.url);
    if (!url) throw errors.badRequest('request.url is missing');
    const resource = e.resource;
    if (resource !== undefined && (typeof resource !== 'object' || resource === null || Array.isArray(resource))) throw errors.notAResource();
    if ((method === 'PUT' || method === 'PATCH' || (method === 'POST' && !url.split('?')[0].includes('$'))) && !resource) throw errors.badRequest(`a ${method} entry needs a resource`);
    const entry: EntryRequest = {
      index,
      method,
      url,
      ...parseRequestUrl(url, definitions),
      fullUrl: str(e.fullUrl),
      resource: resource as EntryRequest['resource'],
      ifNoneExist: str(req.ifNoneExist),
      ifMatch: str(req.ifMatch),
      ifNoneMatch: str(req.ifNoneMatch),
      ifModifiedSince: str(req.ifModifiedSince),
    };
    checkShape(entry);
    return entry;
  } catch (err) {
    throw atEntry(label, err);
  }
}

/**
 * request.url is relative to the base. Absolute URLs are accepted too (the official examples use
 * them): the path from the last resource type segment on is taken, whatever server they name.
 */
export function parseRequestUrl(url: string, definitions: FhirDefinitions): Pick<EntryRequest, 'type' | 'id' | 'vid' | 'history' | 'operation' | 'query'> {
  const q = url.indexOf('?');
  let path = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? url.slice(q + 1) : undefined;
  if (/^https?:\/\//i.test(path)) {
    const segments = path.replace(/^https?:\/\/[^/]*/i, '').split('/').filter(Boolean);
    let start = -1;
    for (let i = segments.length - 1; i >= 0 && i >= segments.length - 4; i--) if (definitions.isResourceType(segments[i])) start = i;
    if (start < 0) throw errors.badRequest(`request.url '${url.slice(0, 120)}' does not name a resource type`);
    path = segments.slice(start).join('/');
  }
  const parts = path.split('/').filter(Boolean);
  if (!parts.length) return { query };
  const [type, second, third, fourth, ...rest] = parts;
  if (type.startsWith('$')) return { operation: type, query };
  if (!definitions.isResourceType(type)) throw errors.unknownType(type.slice(0, 64));
  if (rest.length) throw errors.badRequest(`request.url '${url.slice(0, 120)}' has too many path segments`);
  if (second === undefined) return { type, query };
  if (second === '_history') {
    if (third !== undefined) throw errors.badRequest(`request.url '${url.slice(0, 120)}' is not a FHIR interaction`);
    return { type, history: true, query };
  }
  if (second.startsWith('$')) return { type, operation: second, query };
  if (!ID_PATTERN.test(second)) throw errors.invalidId(second);
  if (third === undefined) return { type, id: second, query };
  if (third.startsWith('$') && fourth === undefined) return { type, id: second, operation: third, query };
  if (third !== '_history') throw errors.badRequest(`request.url '${url.slice(0, 120)}' is not a FHIR interaction`);
  if (fourth === undefined) return { type, id: second, history: true, query };
  return { type, id: second, vid: fourth, query };
}

/** Which URL shapes each method accepts (R4 http.html: create on the type, update/patch/delete
 * on an instance or conditionally on the type with criteria). */
function checkShape(e: EntryRequest): void {
  if (e.operation) {
    if (e.method !== 'GET' && e.method !== 'POST') throw errors.badRequest(`an operation entry uses GET or POST, not ${e.method}`);
    if (e.vid || e.history) throw errors.badRequest('an operation entry cannot target a version or history');
    return;
  }
  if (e.method === 'GET' || e.method === 'HEAD') {
    if (!e.type && !e.history) throw errors.notSupported('system-level search is not supported inside a Bundle');
    return;
  }
  if (!e.type) throw errors.badRequest(`a ${e.method} entry must name a resource type in request.url`);
  if (e.vid || e.history) throw errors.badRequest(`a ${e.method} entry cannot target a version or history`);
  if (e.method === 'POST') {
    if (e.id) throw errors.badRequest('a POST entry creates on the type: request.url must be [type], not [type]/[id]');
    if (e.resource?.resourceType !== e.type) throw errors.typeMismatch(e.type, e.resource?.resourceType);
    return;
  }
  if (!e.id && !e.query) throw errors.badRequest(`a ${e.method} entry needs [type]/[id] or [type]?criteria in request.url`);
  if (e.id && e.query) throw errors.badRequest(`a ${e.method} entry takes either an id or criteria in request.url, not both`);
  if (e.method === 'PUT' && e.resource?.resourceType !== e.type) throw errors.typeMismatch(e.type, e.resource?.resourceType);
}
