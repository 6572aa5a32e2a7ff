// Paths of the RESTful interactions (R4 http.html) the CapabilityStatement declares: per resource
// type what its `interaction` list says, at the system level what `rest.interaction` says, plus
// compartment search for each compartment the statement lists. Each search parameter becomes a
// query parameter carrying its FHIR search type and the modifiers the server accepts for it.
import type { CapabilityStatementRest, CapabilityStatementRestResource, CapabilityStatementRestResourceSearchParam } from '@medplum/fhirtypes';
import { SEARCH_MODIFIERS } from '../search/predicates';
import type { SearchParamType } from '../search/registry';
import {
  answerContent,
  ERROR_RESPONSES,
  FHIR_JSON,
  FORM,
  FORMAT_PARAMETER_REFS,
  JSON_PATCH,
  ref,
  resourceSchema,
  RESULT_PARAMETER_REFS,
  versionAnswer,
  type Json,
  type SharedParts,
} from './components';

export type PathItem = Record<string, Json>;
export type Paths = Record<string, PathItem>;

/** One query parameter for a search parameter: its name, and its FHIR type and modifiers as
 * extensions and in the description (`name:modifier=value` in the URL). */
export function searchQueryParameter(p: CapabilityStatementRestResourceSearchParam): Json {
  const modifiers = modifiersOf(p.name, p.type as SearchParamType);
  const prefixes = p.type === 'date' || p.type === 'number' || p.type === 'quantity' ? ' Value prefixes: eq, ne, gt, lt, ge, le, sa, eb, ap.' : '';
  return {
    name: p.name,
    in: 'query',
    description:
      `${p.type} search parameter${p.definition ? ` (${p.definition})` : ''}. Comma-separated values are alternatives (OR).` +
      (modifiers.length ? ` Modifiers: ${modifiers.map((m) => `\`${p.name}:${m}\``).join(', ')}.` : '') +
      (p.type === 'reference' ? ' Chains: `' + p.name + '.param=…`, `' + p.name + ':Type=…`.' : '') +
      prefixes +
      (p.documentation ? ` ${p.documentation}` : ''),
    schema: { type: 'string' },
    'x-fhir-search-type': p.type,
    'x-fhir-modifiers': modifiers,
  };
}

function modifiersOf(name: string, type: SearchParamType): string[] {
  if (name === '_id') return ['not'];
  if (name === 'near') return ['missing'];
  return [...(SEARCH_MODIFIERS[type] ?? [])];
}

/** The search criteria of this type (its own parameters and the common ones), each registered
 * once in the components. */
export function criteriaParameters(shared: SharedParts, resource: CapabilityStatementRestResource | undefined, common: CapabilityStatementRestResourceSearchParam[]): Json[] {
  const own = resource?.searchParam ?? [];
  const names = new Set(own.map((p) => p.name));
  return [
    ...common.filter((p) => !names.has(p.name)).map((p) => shared.parameter(`search-${p.name}`, () => searchQueryParameter(p))),
    ...own.map((p) => shared.parameter(`${resource!.type}-${p.name}`, () => searchQueryParameter(p))),
  ];
}

const op = (tag: string, operationId: string, summary: string, responses: Json, extra: Json = {}): Json => ({
  tags: [tag],
  operationId,
  summary,
  ...extra,
  responses: { ...responses, ...ERROR_RESPONSES },
});

const bundleAnswer = (description: string) => ({ '200': { description, content: answerContent(ref('schemas', 'Bundle')) } });
const fhirBody = (schema: Json, description?: string, example?: Json): Json => ({
  required: true,
  ...(description ? { description } : {}),
  content: { [FHIR_JSON]: { schema, ...(example ? { example } : {}) }, 'application/json': { schema } },
});
const deleteAnswers = {
  '200': { description: 'Deleted, with `Prefer: return=OperationOutcome`.', content: answerContent(ref('schemas', 'OperationOutcome')) },
  '204': { description: 'Deleted (or there was nothing to delete).' },
};

/** Paths of one resource type. */
export function typePaths(
  shared: SharedParts,
  resource: CapabilityStatementRestResource,
  common: CapabilityStatementRestResourceSearchParam[],
  exampleOf: (type: string) => Json | undefined = () => undefined,
): Paths {
  const type = resource.type;
  const has = new Set((resource.interaction ?? []).map((i) => i.code));
  const schema = resourceSchema(type);
  const paths: Paths = {};
  const at = (path: string) => (paths[path] ??= {});
  const criteria = criteriaParameters(shared, resource, common);
  const search = [...criteria, ...RESULT_PARAMETER_REFS, ...FORMAT_PARAMETER_REFS];

  if (has.has('search-type')) {
    at(`/${type}`).get = op(type, `search-${type}`, `Search ${type}`, bundleAnswer('A searchset Bundle, paged through its `next` link.'), { parameters: search });
    at(`/${type}/_search`).post = op(type, `search-post-${type}`, `Search ${type} (form body)`, bundleAnswer('A searchset Bundle.'), {
      parameters: FORMAT_PARAMETER_REFS,
      requestBody: { required: false, content: { [FORM]: { schema: { type: 'object', additionalProperties: { type: 'string' } } } } },
    });
  }
  if (has.has('create')) {
    at(`/${type}`).post = op(
      type,
      `create-${type}`,
      `Create a ${type}${resource.conditionalCreate ? ' (conditionally with If-None-Exist)' : ''}`,
      {
        '201': versionAnswer('Created.', schema, true),
        ...(resource.conditionalCreate ? { '200': versionAnswer('If-None-Exist matched one resource: that resource, nothing created.', schema) } : {}),
      },
      { parameters: [...FORMAT_PARAMETER_REFS, ...(resource.conditionalCreate ? [ref('parameters', 'If-None-Exist')] : [])], requestBody: fhirBody(schema, `The new ${type}; a server-assigned id replaces any id sent.`, exampleOf(type)) },
    );
  }
  if (resource.conditionalUpdate) {
    at(`/${type}`).put = op(type, `conditional-update-${type}`, `Update the one ${type} matching the criteria (create when none)`, writeAnswers(schema), {
      parameters: [...criteria, ...FORMAT_PARAMETER_REFS, ref('parameters', 'If-Match')],
      requestBody: fhirBody(schema),
    });
  }
  if (resource.conditionalDelete && resource.conditionalDelete !== 'not-supported') {
    at(`/${type}`).delete = op(type, `conditional-delete-${type}`, `Delete the ${type} matching the criteria (${resource.conditionalDelete} match${resource.conditionalDelete === 'multiple' ? 'es' : ''})`, deleteAnswers, {
      parameters: [...criteria, ref('parameters', 'If-Match')],
    });
  }
  if (has.has('read')) {
    at(`/${type}/{id}`).get = op(type, `read-${type}`, `Read a ${type}`, { '200': versionAnswer('The current version.', schema), '304': ref('responses', 'NotModified') }, {
      parameters: [ref('parameters', 'id'), ...FORMAT_PARAMETER_REFS, ref('parameters', '_summary'), ref('parameters', '_elements'), ref('parameters', 'If-None-Match'), ref('parameters', 'If-Modified-Since')],
    });
  }
  if (has.has('update')) {
    at(`/${type}/{id}`).put = op(type, `update-${type}`, `Update (or create with this id) a ${type}`, writeAnswers(schema), {
      parameters: [ref('parameters', 'id'), ...FORMAT_PARAMETER_REFS, ref('parameters', 'If-Match')],
      requestBody: fhirBody(schema, 'The whole new version; its id must equal the URL id.'),
    });
  }
  if (has.has('patch')) {
    at(`/${type}/{id}`).patch = op(type, `patch-${type}`, `Patch a ${type} (JSON Patch or FHIRPath Patch)`, { '200': versionAnswer('The patched version.', schema) }, {
      parameters: [ref('parameters', 'id'), ...FORMAT_PARAMETER_REFS, ref('parameters', 'If-Match')],
      requestBody: {
        required: true,
        content: { [JSON_PATCH]: { schema: ref('schemas', 'JsonPatch') }, [FHIR_JSON]: { schema: ref('schemas', 'Parameters') } },
      },
    });
  }
  if (has.has('delete')) {
    at(`/${type}/{id}`).delete = op(type, `delete-${type}`, `Delete a ${type}`, deleteAnswers, { parameters: [ref('parameters', 'id'), ref('parameters', 'If-Match')] });
  }
  if (has.has('history-instance')) {
    at(`/${type}/{id}/_history`).get = op(type, `history-instance-${type}`, `History of one ${type}`, bundleAnswer('A history Bundle, newest first.'), {
      parameters: [ref('parameters', 'id'), ...HISTORY_PARAMETERS],
    });
  }
  if (has.has('vread')) {
    at(`/${type}/{id}/_history/{vid}`).get = op(type, `vread-${type}`, `Read one version of a ${type}`, { '200': versionAnswer('That version.', schema), '304': ref('responses', 'NotModified') }, {
      parameters: [ref('parameters', 'id'), ref('parameters', 'vid'), ...FORMAT_PARAMETER_REFS, ref('parameters', 'If-None-Match')],
    });
  }
  if (has.has('history-type')) {
    at(`/${type}/_history`).get = op(type, `history-type-${type}`, `History of all ${type} resources`, bundleAnswer('A history Bundle, newest first.'), { parameters: HISTORY_PARAMETERS });
  }
  return paths;
}

const HISTORY_PARAMETERS = [ref('parameters', 'historyCount'), ref('parameters', '_since'), ref('parameters', '_at'), ...FORMAT_PARAMETER_REFS];

function writeAnswers(schema: Json): Json {
  return { '200': versionAnswer('Updated.', schema, true), '201': versionAnswer('Created.', schema, true) };
}

/** System-level paths: capabilities, batch/transaction, system search and history, and a search
 * per compartment (`[base]/Patient/[id]/[type]`). */
export function systemPaths(shared: SharedParts, rest: CapabilityStatementRest, resourceTypes: string[]): Paths {
  const has = new Set((rest.interaction ?? []).map((i) => i.code));
  const common = rest.searchParam ?? [];
  const paths: Paths = {
    '/metadata': {
      get: op('System', 'capabilities', 'The CapabilityStatement', { '200': { description: 'What this server does.', content: answerContent(ref('schemas', 'CapabilityStatement')) } }, {
        parameters: FORMAT_PARAMETER_REFS,
        security: [],
      }),
    },
  };
  if (has.has('batch') || has.has('transaction')) {
    const kinds = ['batch', 'transaction'].filter((k) => has.has(k as 'batch'));
    paths['/'] = {
      post: op('System', 'batch-transaction', `Process a ${kinds.join(' or ')} Bundle`, bundleAnswer(`A ${kinds.map((k) => `${k}-response`).join(' or ')} Bundle, one entry per request entry.`), {
        parameters: FORMAT_PARAMETER_REFS,
        requestBody: fhirBody(ref('schemas', 'Bundle'), 'Bundle.type batch or transaction; `urn:uuid:` fullUrls are resolved within a transaction.'),
      }),
    };
  }
  if (has.has('search-system')) {
    (paths['/'] ??= {}).get = op('System', 'search-system', 'Search across types (`_type` to restrict)', bundleAnswer('A searchset Bundle.'), {
      parameters: [...criteriaParameters(shared, undefined, common), ...RESULT_PARAMETER_REFS, ...FORMAT_PARAMETER_REFS],
    });
    paths['/_search'] = {
      post: op('System', 'search-system-post', 'Search across types (form body)', bundleAnswer('A searchset Bundle.'), {
        parameters: FORMAT_PARAMETER_REFS,
        requestBody: { required: false, content: { [FORM]: { schema: { type: 'object', additionalProperties: { type: 'string' } } } } },
      }),
    };
  }
  if (has.has('history-system')) {
    paths['/_history'] = { get: op('System', 'history-system', 'History of every resource', bundleAnswer('A history Bundle, newest first.'), { parameters: HISTORY_PARAMETERS }) };
  }
  if (has.has('search-system')) {
    for (const canonical of rest.compartment ?? []) {
      // Canonical URLs end in the compartment code, which R4 writes in lower case (…/patient).
      const owner = resourceTypes.find((t) => t.toLowerCase() === canonical.split('/').pop()!.toLowerCase());
      if (!owner) continue;
      paths[`/${owner}/{id}/{type}`] = {
        get: op('Compartments', `search-compartment-${owner}`, `Search the ${owner} compartment (${canonical})`, bundleAnswer('A searchset Bundle of the members of the compartment.'), {
          parameters: [
            ref('parameters', 'id'),
            { name: 'type', in: 'path', required: true, description: 'A member resource type, or `*` for every member type.', schema: { type: 'string', enum: ['*', ...resourceTypes] } },
            ...RESULT_PARAMETER_REFS,
            ...FORMAT_PARAMETER_REFS,
          ],
        }),
      };
    }
  }
  return paths;
}
