// The reusable parts of the OpenAPI document: resource shapes, the shared parameters (paging,
// result shaping, conditional headers) and the responses every interaction shares (the
// OperationOutcome of a refused request). Resource schemas are deliberately open: they state what
// every FHIR resource has (resourceType, id, meta) and point at the R4 StructureDefinition, which
// stays the authority; the server's validator checks the rest and answers 4xx with an
// OperationOutcome saying what to fix.
import { FHIR_VERSION } from '../fhir/definitions';

export type Json = Record<string, unknown>;

/** Answers are FHIR JSON; `Accept: application/json` (or `_format=json`) gets plain JSON media type. */
export const ANSWER_MEDIA_TYPES = ['application/fhir+json', 'application/json'] as const;
export const FHIR_JSON = 'application/fhir+json';
export const JSON_PATCH = 'application/json-patch+json';
export const FORM = 'application/x-www-form-urlencoded';

/** The FHIR id syntax (R4 datatypes.html#id), as the server checks it. */
export const ID_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' };

export const ref = (kind: 'schemas' | 'parameters' | 'responses' | 'headers', name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** A content map answering `schema` in every media type the server negotiates. */
export function answerContent(schema: Json): Json {
  return Object.fromEntries(ANSWER_MEDIA_TYPES.map((m) => [m, { schema }]));
}

/** The schema name of a resource type (its own name; R4 type names are valid component keys). */
export function resourceSchema(type: string): Json {
  return ref('schemas', type);
}

function specUrl(type: string): string {
  return `https://hl7.org/fhir/R4/${type.toLowerCase()}.html`;
}

export function resourceTypeSchema(type: string): Json {
  return {
    type: 'object',
    description: `A FHIR R4 ${type} (shape checked by the server against http://hl7.org/fhir/StructureDefinition/${type} and any profiles it claims).`,
    externalDocs: { url: specUrl(type) },
    required: ['resourceType'],
    properties: {
      resourceType: { type: 'string', const: type },
      id: ID_SCHEMA,
      meta: ref('schemas', 'Meta'),
    },
    additionalProperties: true,
  };
}

const SHARED_SCHEMAS: Record<string, Json> = {
  Meta: {
    type: 'object',
    properties: {
      versionId: { type: 'string' },
      lastUpdated: { type: 'string' },
      profile: { type: 'array', items: { type: 'string' } },
      tag: { type: 'array', items: { type: 'object' } },
      security: { type: 'array', items: { type: 'object' } },
      source: { type: 'string' },
    },
    additionalProperties: true,
  },
  Resource: {
    type: 'object',
    description: 'Any FHIR R4 resource.',
    required: ['resourceType'],
    properties: { resourceType: { type: 'string' }, id: ID_SCHEMA, meta: ref('schemas', 'Meta') },
    additionalProperties: true,
  },
  OperationOutcome: {
    type: 'object',
    description: 'Why a request was refused (or what an operation reports): one issue per problem, each saying what to fix.',
    externalDocs: { url: specUrl('OperationOutcome') },
    required: ['resourceType', 'issue'],
    properties: {
      resourceType: { type: 'string', const: 'OperationOutcome' },
      issue: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['severity', 'code'],
          properties: {
            severity: { type: 'string', enum: ['fatal', 'error', 'warning', 'information'] },
            code: { type: 'string' },
            diagnostics: { type: 'string' },
            details: { type: 'object' },
            expression: { type: 'array', items: { type: 'string' } },
          },
          additionalProperties: true,
        },
      },
    },
    additionalProperties: true,
  },
  Bundle: {
    type: 'object',
    description: 'A search result, history, or batch/transaction request or response.',
    externalDocs: { url: specUrl('Bundle') },
    required: ['resourceType', 'type'],
    properties: {
      resourceType: { type: 'string', const: 'Bundle' },
      type: { type: 'string', enum: ['document', 'message', 'transaction', 'transaction-response', 'batch', 'batch-response', 'history', 'searchset', 'collection'] },
      total: { type: 'integer', minimum: 0 },
      link: { type: 'array', items: { type: 'object', required: ['relation', 'url'], properties: { relation: { type: 'string' }, url: { type: 'string' } } } },
      entry: { type: 'array', items: { type: 'object', additionalProperties: true } },
    },
    additionalProperties: true,
  },
  Parameters: {
    type: 'object',
    description: 'Operation parameters (R4 operations.html).',
    externalDocs: { url: specUrl('Parameters') },
    required: ['resourceType'],
    properties: {
      resourceType: { type: 'string', const: 'Parameters' },
      parameter: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: true } },
    },
    additionalProperties: true,
  },
  JsonPatch: {
    type: 'array',
    description: 'RFC 6902 JSON Patch.',
    items: {
      type: 'object',
      required: ['op', 'path'],
      properties: { op: { type: 'string', enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] }, path: { type: 'string' }, from: { type: 'string' }, value: {} },
    },
  },
};

/** Query parameters shared by every search (R4 search.html §3.1.1.4 and result parameters). */
const RESULT_PARAMETERS: Record<string, Json> = {
  _count: { name: '_count', in: 'query', description: 'Page size (the server caps it).', schema: { type: 'integer', minimum: 0 } },
  _sort: { name: '_sort', in: 'query', description: 'Comma-separated search parameters to sort by; `-` in front for descending.', schema: { type: 'string' } },
  _total: { name: '_total', in: 'query', description: 'Whether Bundle.total is computed.', schema: { type: 'string', enum: ['none', 'estimate', 'accurate'] } },
  _summary: { name: '_summary', in: 'query', schema: { type: 'string', enum: ['true', 'false', 'text', 'data', 'count'] } },
  _elements: { name: '_elements', in: 'query', description: 'Comma-separated top-level elements to return.', schema: { type: 'string' } },
  _include: { name: '_include', in: 'query', description: '`Type:param[:target]` of a reference parameter; also `_include:iterate`.', schema: { type: 'string' } },
  _revinclude: { name: '_revinclude', in: 'query', description: '`Type:param[:target]` of resources referring to the matches.', schema: { type: 'string' } },
};

const FORMAT_PARAMETERS: Record<string, Json> = {
  _format: { name: '_format', in: 'query', description: 'Answer media type (overrides Accept). Only JSON is served.', schema: { type: 'string', enum: ['json', 'application/fhir+json', 'application/json'] } },
  _pretty: { name: '_pretty', in: 'query', description: 'Indent the JSON answer.', schema: { type: 'string', enum: ['true', 'false'] } },
};

const PATH_AND_HEADER_PARAMETERS: Record<string, Json> = {
  id: { name: 'id', in: 'path', required: true, description: 'The logical id of the resource.', schema: ID_SCHEMA },
  vid: { name: 'vid', in: 'path', required: true, description: 'A version id (meta.versionId).', schema: { type: 'string', pattern: '^[0-9]{1,9}$' } },
  'If-Match': { name: 'If-Match', in: 'header', description: 'Version-aware write: `W/"versionId"` of the version being replaced (412 when it is no longer current).', schema: { type: 'string' } },
  'If-None-Match': { name: 'If-None-Match', in: 'header', description: '`W/"versionId"`: 304 when it is still current.', schema: { type: 'string' } },
  'If-Modified-Since': { name: 'If-Modified-Since', in: 'header', description: 'HTTP date: 304 when the resource has not changed since.', schema: { type: 'string' } },
  'If-None-Exist': { name: 'If-None-Exist', in: 'header', description: 'Conditional create: search criteria (`identifier=sys|123`); an existing match is answered instead of creating.', schema: { type: 'string' } },
  _since: { name: '_since', in: 'query', description: 'History from this instant on.', schema: { type: 'string' } },
  _at: { name: '_at', in: 'query', description: 'History: the versions current at this time.', schema: { type: 'string' } },
  historyCount: { name: '_count', in: 'query', description: 'Page size.', schema: { type: 'integer', minimum: 0 } },
};

export const RESULT_PARAMETER_REFS = Object.keys(RESULT_PARAMETERS).map((k) => ref('parameters', k));
export const FORMAT_PARAMETER_REFS = Object.keys(FORMAT_PARAMETERS).map((k) => ref('parameters', k));

const VERSION_HEADERS = {
  ETag: ref('headers', 'ETag'),
  'Last-Modified': ref('headers', 'Last-Modified'),
};

/** The answer of a read or write that returns a resource version. */
export function versionAnswer(description: string, schema: Json, withLocation = false): Json {
  return { description, headers: withLocation ? { ...VERSION_HEADERS, Location: ref('headers', 'Location') } : VERSION_HEADERS, content: answerContent(schema) };
}

/** Parts registered while the paths are generated, so that what many paths share (a type's search
 * parameters, an operation's parameters and answers) is written once and referenced. */
export class SharedParts {
  readonly schemas: Record<string, Json> = {};
  readonly parameters: Record<string, Json> = {};
  readonly responses: Record<string, Json> = {};

  parameter(key: string, build: () => Json): Json {
    this.parameters[key] ??= build();
    return ref('parameters', key);
  }
}

export function components(resourceTypes: readonly string[], extraSchemas: Record<string, Json>, shared: SharedParts): Json {
  return {
    schemas: { ...SHARED_SCHEMAS, ...Object.fromEntries(resourceTypes.filter((t) => !(t in SHARED_SCHEMAS)).map((t) => [t, resourceTypeSchema(t)])), ...extraSchemas, ...shared.schemas },
    parameters: { ...RESULT_PARAMETERS, ...FORMAT_PARAMETERS, ...PATH_AND_HEADER_PARAMETERS, ...shared.parameters },
    headers: {
      ETag: { description: 'The version: `W/"versionId"`.', schema: { type: 'string' } },
      'Last-Modified': { description: 'meta.lastUpdated as an HTTP date.', schema: { type: 'string' } },
      Location: { description: 'The new version: `[base]/[type]/[id]/_history/[vid]`.', schema: { type: 'string' } },
      'Content-Location': { description: 'Asynchronous request: the status URL to poll.', schema: { type: 'string' } },
    },
    responses: {
      Refused: {
        description: `The request was refused: the OperationOutcome says what to fix (400 bad syntax or parameter, 401/403 access, 404 unknown, 405 method, 406/415 media type, 409/412 version conflict, 410 deleted, 413 too large, 422 invalid resource, 429 rate limit).`,
        content: answerContent(ref('schemas', 'OperationOutcome')),
      },
      Unavailable: {
        description: 'The server is shedding load or the request ran out of time; retry after Retry-After.',
        headers: { 'Retry-After': { schema: { type: 'string' } } },
        content: answerContent(ref('schemas', 'OperationOutcome')),
      },
      NotModified: { description: 'Not modified (If-None-Match / If-Modified-Since).', headers: VERSION_HEADERS },
      Accepted: {
        description: 'Accepted (`Prefer: respond-async`): poll the Content-Location URL.',
        headers: { 'Content-Location': ref('headers', 'Content-Location') },
        content: answerContent(ref('schemas', 'OperationOutcome')),
      },
      ...shared.responses,
    },
  };
}

/** The error answers every operation shares. */
export const ERROR_RESPONSES = { '4XX': ref('responses', 'Refused'), '503': ref('responses', 'Unavailable') };

export const INFO_DESCRIPTION = `FHIR ${FHIR_VERSION} REST API, generated from this server's CapabilityStatement ([base]/metadata) and its OperationDefinitions.`;
