// Invokes an operation for any door — an HTTP request or a Bundle entry — without knowing HTTP:
// finds the module at the requested level, refuses GET on state-changing operations, parses the
// parameters from the definition, checks that an instance target exists and is visible to the
// caller, and runs the handler inline or as an asynchronous job.
import type { Parameters, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../context/request-context';
import { errors } from '../fhir/errors';
import { readIn } from '../interactions/crud';
import { assertId, assertResourceType } from '../interactions/resource-write';
import type { ResourceVersion } from '../storage/engine';
import { isAdministrator } from '../access/policy';
import { answerOf, type OperationAnswer } from './output';
import { parametersFromBareResource, parametersFromQuery, parametersFromResource, soleResourceParameter, urlRepresentable, type OperationParameters } from './parameters';
import type { JobControl, OperationLevel, OperationModule, OperationTarget } from './types';

export interface OperationRequest {
  /** The operation's code, without `$`. */
  code: string;
  level: OperationLevel;
  resourceType?: string;
  id?: string;
  method: 'GET' | 'POST';
  /** URL query parameters, in order. */
  query: Array<[string, string]>;
  /** The parsed JSON body of a POST: a Parameters resource or, where allowed, a bare resource. */
  body?: unknown;
  /** `Prefer: respond-async`. */
  respondAsync: boolean;
}

export async function invokeOperation(ctx: RequestContext, request: OperationRequest): Promise<OperationAnswer> {
  const { operations, core } = ctx.services;
  const module = operations.find(request.code, request.level, request.resourceType);
  if (request.method === 'GET' && module.affectsState) {
    throw errors.methodNotAllowed('GET', `$${request.code}`, ['POST'], `$${request.code} changes data: invoke it with POST`);
  }
  if (request.method === 'GET' && !urlRepresentable(module.definition)) {
    throw errors.methodNotAllowed('GET', `$${request.code}`, ['POST'], `$${request.code} takes parameters that cannot travel in a URL: POST a Parameters resource`);
  }
  authorise(ctx, module, request);
  const params = parseParameters(ctx, module, request);
  if (request.method === 'GET' && module.changesStateWith?.(params)) {
    throw errors.methodNotAllowed('GET', `$${request.code}`, ['POST'], `$${request.code} with these parameters stores data: invoke it with POST`);
  }
  const target: OperationTarget = { level: request.level, resourceType: request.resourceType, id: request.id };
  if (request.level === 'instance') target.current = await instanceTarget(ctx, module, request.resourceType!, request.id!);
  if (module.async === 'required' && !request.respondAsync) {
    throw errors.badRequest(`$${request.code} runs asynchronously only: send the header 'Prefer: respond-async'`);
  }
  await module.check?.({ code: request.code, target, params }, ctx);
  if (request.respondAsync && module.async) return ctx.services.jobs.submit(ctx, module, target, params);
  const result = await module.handler({ code: request.code, target, params, job: inlineJob(ctx) }, ctx);
  return answerOf(module.definition, result, core.definitions.isResourceType);
}

/** The current version of an instance-level target: 404 when absent or hidden, 410 when deleted
 * (unless the operation works on deleted resources too). */
export async function instanceTarget(ctx: RequestContext, module: OperationModule, type: string, id: string): Promise<ResourceVersion> {
  const { core } = ctx.services;
  if (!module.targetMayBeDeleted) return readIn(ctx.data, core, type, id);
  assertResourceType(core, type);
  assertId(id);
  const current = await ctx.data.read(type, id);
  if (!current) throw errors.notFound(type, id);
  return current;
}

/** Refuses (403) a caller that lacks what the operation needs, before any parameter is read. */
function authorise(ctx: RequestContext, module: OperationModule, request: OperationRequest): void {
  const policy = ctx.data.policy;
  if (policy.unrestricted) return;
  const needs = module.requires ?? (module.affectsState ? 'write' : 'read');
  if (needs === 'admin') {
    if (!isAdministrator(policy)) throw errors.forbidden(`$${request.code} is server administration: it needs an administrator (system/*.* scope)`);
    return;
  }
  if (needs === 'write' && !request.resourceType && !isAdministrator(policy)) {
    throw errors.forbidden(`$${request.code} at the system level changes data of every type: it needs an administrator (system/*.* scope)`);
  }
  if (request.resourceType) {
    // A state-changing operation changes existing resources of the type ($meta-add…): update.
    const access = policy.access(request.resourceType, needs === 'write' ? 'update' : 'read');
    if (!access.allowed) throw errors.forbidden(access.reason);
  }
}

function parseParameters(ctx: RequestContext, module: OperationModule, request: OperationRequest): OperationParameters {
  const options = { isResourceType: ctx.services.core.definitions.isResourceType, acceptsSearchParameters: module.acceptsSearchParameters };
  const def = module.definition;
  const body = request.body;
  if (body === undefined) return parametersFromQuery(def, request.query, options);
  if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as Resource).resourceType !== 'string') throw errors.notAResource();
  const resource = body as Resource;
  if (resource.resourceType === 'Parameters' && !soleResourceParameterTakes(module, 'Parameters', options.isResourceType)) {
    if (request.query.some(([k]) => k !== '_format' && k !== '_pretty')) {
      // Parameters in both places would be ambiguous (which wins?); R4 puts them in the body.
      throw errors.badRequest(`$${request.code}: give the parameters in the Parameters body only, not also in the URL`);
    }
    return parametersFromResource(def, resource as Parameters, options);
  }
  return parametersFromBareResource(def, resource, request.query, options);
}

/** Whether the operation's single resource parameter itself takes a Parameters resource. */
function soleResourceParameterTakes(module: OperationModule, type: string, isResourceType: (t: string) => boolean): boolean {
  return soleResourceParameter(module.definition, { isResourceType })?.type === type;
}

/** Progress and resume points of a synchronous call go nowhere; it stops when the caller leaves
 * or the request's time budget is spent (every progress report checks both). */
export function inlineJob(ctx: Pick<RequestContext, 'budget'>): JobControl {
  const throwIfCancelled = () => ctx.budget.check();
  return {
    checkpoint: undefined,
    progress: async () => throwIfCancelled(),
    save: async () => throwIfCancelled(),
    throwIfCancelled,
  };
}
