// The search interaction without HTTP: query pairs in, searchset Bundle out. The REST adapter
// (rest/search-routes.ts) only reads the request; operations (e.g. $everything) can call this too.
import type { EngineReader } from '../storage/engine';
import type { SearchRegistry } from './registry';
import type { Terminology } from './terminology';
import type { Compartments } from './compartments';
import { parseSearchQuery } from './parse-query';
import { searchsetText } from './bundle';
import { errors } from '../fhir/errors';
import type { RuntimeSearchParameters } from './runtime-parameters';

/** Stored data is searched through a reader the caller passes in (the request's DataAccess, or a
 * transaction), never through an engine held here. */
export interface SearchServices {
  registry: SearchRegistry;
  terminology: Terminology;
  compartments: Compartments;
  defaultCount: number;
  maxCount: number;
  now: () => number;
  /** SearchParameters added at run time (absent in servers assembled without a database watch). */
  runtimeParameters?: RuntimeSearchParameters;
}

export interface SearchRequest {
  /** `[type]` search: the type; system search: undefined (`_type` chooses). `*` in a compartment. */
  resourceType?: string;
  /** Compartment search `Patient/123/Observation`. */
  compartment?: { type: string; id: string };
  query: Array<[string, string]>;
  lenient: boolean;
  baseUrl: string;
}

/** The searchset Bundle as JSON text (resources embedded as stored): what the REST route sends. */
export async function searchJson(services: SearchServices, reader: EngineReader, request: SearchRequest): Promise<string> {
  const { parsed, result, options } = await run(services, reader, request);
  return searchsetText(parsed, result, options);
}

async function run(services: SearchServices, reader: EngineReader, request: SearchRequest) {
  const { registry } = services;
  await services.runtimeParameters?.sync();
  let resourceTypes: string[] = [];
  if (request.resourceType && request.resourceType !== '*') {
    if (!registry.resourceTypes.has(request.resourceType)) throw errors.unknownType(request.resourceType);
    resourceTypes = [request.resourceType];
  } else if (request.compartment) {
    resourceTypes = services.compartments.memberTypes(request.compartment.type);
  }
  const parse = () => parseSearchQuery(registry, request.query, {
    resourceTypes,
    lenient: request.lenient,
    defaultCount: services.defaultCount,
    maxCount: services.maxCount,
    now: services.now(),
    baseUrl: request.baseUrl,
    terminology: services.terminology,
    systemLevel: !request.resourceType && !request.compartment,
  });
  let parsed;
  try {
    parsed = parse();
  } catch (e) {
    // An unknown parameter may be one another process added a moment ago: ask once, then retry.
    if (!(await services.runtimeParameters?.refresh())) throw e;
    parsed = parse();
  }
  let path = request.resourceType ?? '';
  if (request.compartment) {
    const { type, id } = request.compartment;
    parsed.plan.where.push(services.compartments.membership(type, id, parsed.plan.resourceTypes));
    path = `${type}/${id}/${request.resourceType ?? '*'}`;
  }
  const result = await reader.search(parsed.plan);
  const codes = parsed.applied.map(([name]) => name.split(/[:.]/)[0]);
  const warnings = services.runtimeParameters ? await services.runtimeParameters.pendingWarnings(parsed.plan.resourceTypes, codes) : [];
  return { parsed, result, options: { baseUrl: request.baseUrl, path, model: registry.model, warnings } };
}
