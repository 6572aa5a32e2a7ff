// Paths of the operations the CapabilityStatement lists (system level in rest.operation, type and
// instance level in each resource's operation list), described from their OperationDefinitions:
// in-parameters become query parameters (GET, when every in-parameter can travel in a URL and the
// operation changes no data) and a Parameters body (POST); out-parameters are described in the
// answer. Each operation's parameters and body schema live once in the components, so the ~150
// resource types an operation applies to share them.
import type { CapabilityStatementRestResourceOperation, OperationDefinition, OperationDefinitionParameter } from '@medplum/fhirtypes';
import { isPrimitiveType, PRIMITIVE_PATTERNS, urlRepresentable } from '../operations/parameters';
import type { OperationModule } from '../operations/types';
import { answerContent, ERROR_RESPONSES, FHIR_JSON, FORMAT_PARAMETER_REFS, ref, type Json, type SharedParts } from './components';
import type { Paths } from './interactions';

/** What the operation paths need from the registry: definitions by canonical URL. */
export interface OperationDescriptions {
  byUrl: Map<string, OperationModule>;
  /** Components shared by every path of an operation, filled while paths are generated. */
  shared: SharedParts;
  /** The search parameters of a type, for operations that also take them (e.g. `$lastn`). */
  searchParameters: (type: string) => Json[];
}

export function operationDescriptions(modules: OperationModule[], shared: SharedParts, searchParameters: (type: string) => Json[]): OperationDescriptions {
  return { byUrl: new Map(modules.map((m) => [m.definition.url!, m])), shared, searchParameters };
}

const inParams = (d: OperationDefinition) => (d.parameter ?? []).filter((p) => p.use === 'in');
const outParams = (d: OperationDefinition) => (d.parameter ?? []).filter((p) => p.use === 'out');

function valueSchema(p: OperationDefinitionParameter): Json {
  const t = p.type;
  if (t === 'boolean') return { type: 'string', enum: ['true', 'false'] };
  if (t && isPrimitiveType(t)) return { type: 'string', pattern: PRIMITIVE_PATTERNS[t].source };
  if (t === 'Coding') return { type: 'string', description: 'system|code' };
  return { type: 'string' };
}

function cardinality(p: OperationDefinitionParameter): string {
  return `${p.min ?? 0}..${p.max ?? '1'}`;
}

function describeParameter(p: OperationDefinitionParameter): string {
  const parts = p.part?.length ? ` with parts ${p.part.map((x) => x.name).join(', ')}` : '';
  return `\`${p.name}\` (${p.type ?? (p.part?.length ? 'parts' : 'any')} ${cardinality(p)}${p.searchType ? `, search type ${p.searchType}` : ''})${parts}${p.documentation ? `: ${p.documentation}` : ''}`;
}

/** The component-name stem of an operation: its code, qualified by the definition's id when that
 * differs (one code may name several operations, e.g. CodeSystem/ValueSet `$validate-code`). */
function componentStem(d: OperationDefinition): string {
  return d.id && d.id !== d.code ? d.id.replace(/[^A-Za-z0-9._-]/g, '-') : d.code!;
}

/** Registers the operation's shared parameters and body schema; returns their references. */
function shared(desc: OperationDescriptions, d: OperationDefinition): { query: Json[]; body: Json } {
  const code = d.code!;
  const stem = componentStem(d);
  const query: Json[] = [];
  for (const p of inParams(d)) {
    if (p.part?.length || !(isPrimitiveType(p.type) || p.type === 'Coding' || p.type === 'Reference' || !p.type)) continue;
    const key = `op-${stem}-${p.name}`;
    desc.shared.parameters[key] ??= {
      name: p.name,
      in: 'query',
      required: (p.min ?? 0) > 0,
      description: describeParameter(p),
      schema: p.max === '1' ? valueSchema(p) : { type: 'array', items: valueSchema(p) },
      'x-fhir-type': p.type ?? null,
    };
    query.push(ref('parameters', key));
  }
  const key = `Parameters-${stem}`;
  const names = inParams(d).map((p) => p.name!);
  desc.shared.schemas[key] ??= {
    type: 'object',
    description: `In-parameters of $${code}:\n\n${inParams(d).map((p) => `- ${describeParameter(p)}`).join('\n') || '(none)'}`,
    required: ['resourceType'],
    properties: {
      resourceType: { type: 'string', const: 'Parameters' },
      parameter: {
        type: 'array',
        items: { type: 'object', required: ['name'], properties: { name: names.length ? { type: 'string', enum: names } : { type: 'string' } }, additionalProperties: true },
      },
    },
    additionalProperties: true,
  };
  return { query, body: ref('schemas', key) };
}

/** The answers of an operation, from its out-parameters: a single `return` resource is answered
 * as that resource, anything else as Parameters (R4 operations.html); some answer plain JSON.
 * Registered once per operation in the components. */
function answers(desc: OperationDescriptions, module: OperationModule): Json {
  const d = module.definition;
  const key = `op-${componentStem(d)}-result`;
  if (!desc.shared.responses[key]) {
    const outs = outParams(d);
    const single = outs.length === 1 && outs[0].name === 'return' && outs[0].type && !isPrimitiveType(outs[0].type) ? outs[0].type : undefined;
    const description = `${d.description ? `${d.description}\n\n` : ''}${outs.length ? `Out-parameters:\n\n${outs.map((p) => `- ${describeParameter(p)}`).join('\n')}` : 'The result.'}`;
    const schema = single && single !== 'Resource' && single !== 'Any' ? ref('schemas', single) : { type: 'object', additionalProperties: true };
    desc.shared.responses[key] = { description, content: answerContent(schema) };
  }
  return {
    '200': ref('responses', key),
    ...(module.async ? { '202': ref('responses', 'Accepted') } : {}),
    ...ERROR_RESPONSES,
  };
}

/** Where an operation path is: the system, one type, or any of several types (`/{type}/$op`). */
type Target = { type: string } | { types: string[] } | undefined;

/** GET and POST of one operation at one level and path. */
function operationItem(desc: OperationDescriptions, module: OperationModule, level: 'system' | 'type' | 'instance', target: Target): Record<string, Json> {
  const d = module.definition;
  const { query, body } = shared(desc, d);
  const type = target && 'type' in target ? target.type : undefined;
  const name = type ?? (target ? '[type]' : undefined);
  const where = level === 'system' ? 'system' : level === 'type' ? name! : `${name} instance`;
  const tag = type ?? (target ? 'Operations on every type' : 'Operations');
  const summary = `$${d.code} (${where})${d.title ? `: ${d.title}` : d.name ? `: ${d.name}` : ''}`;
  const description = `Definition: ${d.url}${module.affectsState ? ' (changes data: POST only)' : ''}. What it does and answers: see the 200 answer; its parameters: the request body.`;
  const typeParam =
    target && 'types' in target ? [{ name: 'type', in: 'path', required: true, description: 'The resource type.', schema: { type: 'string', enum: target.types } }] : [];
  const idParam = [...typeParam, ...(level === 'instance' ? [ref('parameters', 'id')] : [])];
  const preferAsync = module.async
    ? [{ name: 'Prefer', in: 'header', required: module.async === 'required', description: '`respond-async` runs the operation as a job (R4 async.html).', schema: { type: 'string', enum: ['respond-async'] } }]
    : [];
  const base = { tags: [tag], summary, description, responses: answers(desc, module) };
  const opId = `op-${d.code}-${level}${type ? `-${type}` : target ? '-any-type' : ''}`;
  const item: Record<string, Json> = {
    post: {
      ...base,
      operationId: `${opId}-post`,
      parameters: [...idParam, ...FORMAT_PARAMETER_REFS, ...preferAsync],
      requestBody: { required: inParams(d).some((p) => (p.min ?? 0) > 0), content: { [FHIR_JSON]: { schema: body }, 'application/json': { schema: body } } },
    },
  };
  if (!module.affectsState && urlRepresentable(d)) {
    const search = module.acceptsSearchParameters && type ? desc.searchParameters(type) : [];
    item.get = { ...base, operationId: `${opId}-get`, parameters: [...idParam, ...query, ...search, ...FORMAT_PARAMETER_REFS, ...preferAsync] };
  }
  return item;
}

/** Whether an operation's definition applies to every type (`Resource`/`DomainResource`): it is
 * then described once, at `/{type}/$op`, instead of once per type (~150 copies). */
function everyType(d: OperationDefinition): boolean {
  return ((d.resource ?? []) as string[]).some((r) => r === 'Resource' || r === 'DomainResource');
}

export function operationPaths(
  desc: OperationDescriptions,
  system: CapabilityStatementRestResourceOperation[],
  byType: Array<{ type: string; operations: CapabilityStatementRestResourceOperation[] }>,
): Paths {
  const paths: Paths = {};
  const moduleOf = (entry: CapabilityStatementRestResourceOperation) => {
    const m = desc.byUrl.get(entry.definition);
    if (!m) throw new Error(`the CapabilityStatement lists $${entry.name} (${entry.definition}) but no operation module defines it`);
    return m;
  };
  for (const entry of system) paths[`/$${entry.name}`] = operationItem(desc, moduleOf(entry), 'system', undefined);
  const generic = new Map<string, { module: OperationModule; name: string; types: string[] }>();
  for (const { type, operations } of byType) {
    for (const entry of operations) {
      const m = moduleOf(entry);
      if (everyType(m.definition)) {
        const g = generic.get(entry.definition) ?? { module: m, name: entry.name, types: [] };
        g.types.push(type);
        generic.set(entry.definition, g);
        continue;
      }
      if (m.definition.type) paths[`/${type}/$${entry.name}`] = operationItem(desc, m, 'type', { type });
      if (m.definition.instance) paths[`/${type}/{id}/$${entry.name}`] = operationItem(desc, m, 'instance', { type });
    }
  }
  for (const { module, name, types } of generic.values()) {
    if (module.definition.type) paths[`/{type}/$${name}`] = operationItem(desc, module, 'type', { types });
    if (module.definition.instance) paths[`/{type}/{id}/$${name}`] = operationItem(desc, module, 'instance', { types });
  }
  return paths;
}
