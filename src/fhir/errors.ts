// The one error type that travels up from any layer, and the catalogue of named factories that
// create it. Exactly one place (rest/errors.ts) turns a FhirError into an HTTP OperationOutcome.
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

export interface Issue {
  severity: IssueSeverity;
  code: IssueCode;
  diagnostics: string;
  /** FHIRPath-like location of the offending element, e.g. `Patient.birthDate`. */
  expression?: string[];
  /** Stable id of the message (validator issues), sent as the operationoutcome-message-id extension. */
  messageId?: string;
}

/** The core extension the reference validator also uses to carry message ids. */
export const MESSAGE_ID_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id';

export class FhirError extends Error {
  constructor(
    readonly status: number,
    /** Stable machine code (e.g. `NOT_FOUND`), useful in logs and tests; never shown as FHIR coding. */
    readonly errorCode: string,
    readonly issues: Issue[],
    /** Extra HTTP headers the response must carry (e.g. `Allow` on 405). */
    readonly headers: Record<string, string> = {},
  ) {
    super(issues.map((i) => i.diagnostics).join('; '));
    this.name = 'FhirError';
  }

  toOperationOutcome(): OperationOutcome {
    return operationOutcome(this.issues);
  }
}

export function operationOutcome(issues: Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      ...(i.messageId ? { extension: [{ url: MESSAGE_ID_EXTENSION, valueString: i.messageId }] } : {}),
      severity: i.severity,
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression && i.expression.length ? { expression: i.expression } : {}),
    })),
  };
}

export function informational(text: string): OperationOutcome {
  return operationOutcome([{ severity: 'information', code: 'informational', diagnostics: text }]);
}

function err(status: number, errorCode: string, code: IssueCode, text: string, expression?: string[]): FhirError {
  return new FhirError(status, errorCode, [{ severity: 'error', code, diagnostics: text, expression }]);
}

// ---- the catalogue -------------------------------------------------------------------------
export const errors = {
  unknownType: (type: string) =>
    err(404, 'UNKNOWN_TYPE', 'not-supported', `Resource type '${type}' is not supported by this server (R4 resource types only)`),
  notFound: (type: string, id: string) => err(404, 'NOT_FOUND', 'not-found', `${type}/${id} is not known`),
  versionNotFound: (type: string, id: string, vid: string) =>
    err(404, 'VERSION_NOT_FOUND', 'not-found', `${type}/${id} has no version '${vid}'`),
  gone: (type: string, id: string, versionId: string) =>
    new FhirError(410, 'GONE', [{ severity: 'error', code: 'deleted', diagnostics: `${type}/${id} was deleted (version ${versionId})` }], {
      ETag: `W/"${versionId}"`,
    }),
  badRequest: (text: string, expression?: string[]) => err(400, 'BAD_REQUEST', 'invalid', text, expression),
  invalidId: (id: string) =>
    err(400, 'INVALID_ID', 'invalid', `'${id.slice(0, 80)}' is not a valid FHIR id: use 1-64 characters of A-Z a-z 0-9 - .`),
  invalidJson: (why: string) => err(400, 'INVALID_JSON', 'structure', `The body is not valid JSON: ${why}`),
  tooDeep: (limit: number) =>
    err(400, 'TOO_DEEP', 'structure', `The JSON nests objects and arrays more than ${limit} levels deep; FHIR resources never need that many`),
  numberOutOfRange: (lexeme: string, expression?: string) =>
    err(
      400,
      'NUMBER_OUT_OF_RANGE',
      'value',
      `${expression ?? 'A number'}: ${lexeme.slice(0, 40)}${lexeme.length > 40 ? '…' : ''} is outside the range of a FHIR decimal (at most ±1.7976931348623157e308)`,
      expression ? [expression] : undefined,
    ),
  notAResource: () => err(400, 'NOT_A_RESOURCE', 'structure', 'The body must be a JSON object with a resourceType'),
  typeMismatch: (urlType: string, bodyType: unknown) =>
    err(400, 'TYPE_MISMATCH', 'invalid', `resourceType '${String(bodyType)}' in the body does not match '${urlType}' in the URL`, [
      `${urlType}.resourceType`,
    ]),
  idMismatch: (urlId: string, bodyId: unknown) =>
    err(
      400,
      'ID_MISMATCH',
      'invalid',
      bodyId === undefined
        ? `The body of an update must carry id '${urlId}' (the id in the URL)`
        : `id '${String(bodyId)}' in the body does not match '${urlId}' in the URL`,
    ),
  invalidResource: (issues: Issue[]) => new FhirError(400, 'INVALID_RESOURCE', issues),
  versionConflict: (type: string, id: string, expected: string, actual: string) =>
    err(412, 'VERSION_CONFLICT', 'conflict', `If-Match expected version ${expected} of ${type}/${id} but the current version is ${actual}`),
  preconditionFailed: (text: string) => err(412, 'PRECONDITION_FAILED', 'conflict', text),
  conflict: (text: string) => err(409, 'CONFLICT', 'conflict', text),
  notAcceptable: (accept: string) =>
    err(406, 'NOT_ACCEPTABLE', 'not-supported', `Cannot answer in '${accept.slice(0, 100)}': this server speaks application/fhir+json and application/json`),
  unsupportedMediaType: (contentType: string) =>
    err(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'not-supported',
      `Content-Type '${contentType.slice(0, 100)}' is not accepted: send application/fhir+json or application/json`,
    ),
  payloadTooLarge: (limit: string) => err(413, 'PAYLOAD_TOO_LARGE', 'too-costly', `The body exceeds the limit of ${limit}`),
  uriTooLong: (limit: number) =>
    err(414, 'URI_TOO_LONG', 'too-costly', `The request line exceeds ${limit} bytes: send long searches as POST [type]/_search with the parameters in the body`),
  headersTooLarge: (what: string) => err(431, 'HEADERS_TOO_LARGE', 'too-costly', `The request has ${what}, more than this server accepts`),
  requestTimeout: (headersMs: number, requestMs: number) =>
    err(408, 'REQUEST_TIMEOUT', 'timeout', `The request did not arrive in time (headers within ${headersMs / 1000} s, the whole request within ${requestMs / 1000} s)`),
  methodNotAllowed: (method: string, path: string, allow: string[], why?: string) =>
    new FhirError(405, 'METHOD_NOT_ALLOWED', [{ severity: 'error', code: 'not-supported', diagnostics: why ?? `${method} is not supported on ${path}` }], {
      Allow: allow.join(', '),
    }),
  unknownOperation: (code: string) =>
    err(404, 'UNKNOWN_OPERATION', 'not-supported', `This server has no operation $${code.slice(0, 64)}; GET [base]/metadata lists the operations it performs`),
  operationLevel: (code: string, level: string, allowed: string) =>
    err(400, 'OPERATION_LEVEL', 'not-supported', `$${code} cannot be invoked at the ${level} level (its definition allows: ${allowed})`),
  unknownJob: (id: string) => err(404, 'UNKNOWN_JOB', 'not-found', `There is no asynchronous request '${id.slice(0, 64)}' (it may have expired or been cancelled)`),
  /** A missing or unusable access token (RFC 6750 §3): 401 with the Bearer challenge; `error`
   * is absent when no token was sent at all. */
  unauthorized: (text: string, error?: 'invalid_token' | 'invalid_request') =>
    new FhirError(401, 'UNAUTHORIZED', [{ severity: 'error', code: 'login', diagnostics: text }], {
      'WWW-Authenticate': `Bearer realm="nimbus-fhir"${error ? `, error="${error}", error_description="${text.replace(/["\\]/g, "'")}"` : ''}`,
    }),
  forbidden: (text: string) => err(403, 'FORBIDDEN', 'forbidden', `Not permitted: ${text}`),
  notSupported: (text: string) => err(400, 'NOT_SUPPORTED', 'not-supported', text),
  invalidParam: (name: string, why: string) => err(400, 'INVALID_PARAM', 'invalid', `Parameter '${name}': ${why}`),
  /** A computation (e.g. a risk score) that the stored data cannot support: what is missing. */
  insufficientData: (text: string) => err(422, 'INSUFFICIENT_DATA', 'required', text),
  unknownRoute: (path: string) => err(404, 'UNKNOWN_ROUTE', 'not-found', `No FHIR interaction answers ${path.slice(0, 200)}`),
  cancelled: () => err(499, 'CANCELLED', 'incomplete', 'The request was cancelled before it completed'),
  /** The server cannot serve the request now but will again (database down, disk full): 503 with
   * Retry-After, so that clients and proxies retry instead of giving up. */
  unavailable: (text: string, retryAfterSeconds = 5) =>
    new FhirError(503, 'UNAVAILABLE', [{ severity: 'error', code: 'transient', diagnostics: text }], { 'Retry-After': String(retryAfterSeconds) }),
  internal: () => err(500, 'INTERNAL', 'exception', 'Internal server error; the incident has been logged'),
  /** The request's time budget (NIMBUS_REQUEST_TIMEOUT) ran out before it completed; its work was
   * stopped. Nothing of it was committed unless its answer would have said so entry by entry. */
  timeBudgetExceeded: (budgetMs: number) =>
    err(
      503,
      'TIME_BUDGET_EXCEEDED',
      'too-costly',
      `The request did not complete within its time budget of ${formatMs(budgetMs)} and was stopped: narrow the search, split the Bundle, or run the operation asynchronously (Prefer: respond-async)`,
    ),
  /** Load shedding: more requests in flight and waiting than the process can serve within their budget. */
  overloaded: (retryAfterSeconds: number) =>
    new FhirError(
      503,
      'OVERLOADED',
      [{ severity: 'error', code: 'throttled', diagnostics: 'The server is at capacity and did not start this request; nothing was done. Retry after the delay in Retry-After.' }],
      { 'Retry-After': String(retryAfterSeconds) },
    ),
  /** A client (IP address or authenticated caller) exceeded its request rate. */
  rateLimited: (who: string, retryAfterSeconds: number) =>
    new FhirError(
      429,
      'RATE_LIMITED',
      [{ severity: 'error', code: 'throttled', diagnostics: `Too many requests from this ${who}; nothing was done. Retry after the delay in Retry-After.` }],
      { 'Retry-After': String(retryAfterSeconds) },
    ),
};

function formatMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}
