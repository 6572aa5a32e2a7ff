// A CDS Hooks 2.0 service call, checked before any work: the fields of the request
// (cds-hooks.hl7.org "Calling a CDS Service"), the hook's context (patient-view, order-select,
// order-sign) and the prefetch values (each a FHIR resource, or null for "no data"). Anything
// else is a CdsError with the status the specification gives and a description of what to fix.
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { lookupTable } from '../../lookup-table';

export class CdsError extends Error {
  constructor(readonly status: number, readonly error: string, readonly description: string) {
    super(description);
  }
}

export interface FhirAuthorization {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  subject: string;
}

export interface HookRequest {
  hook: string;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: FhirAuthorization;
  context: Record<string, unknown>;
  /** Prefetch values by key: a resource, or null when the client had no data. */
  prefetch: Record<string, Resource | null>;
}

export const MAX_DRAFT_ORDERS = 200;

const bad = (description: string) => new CdsError(400, 'invalid_request', description);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Context fields each hook requires (strings unless named otherwise). */
const HOOK_CONTEXT: Record<string, { strings: string[]; selections?: boolean; draftOrders?: boolean }> = lookupTable({
  'patient-view': { strings: ['userId', 'patientId'] },
  'order-select': { strings: ['userId', 'patientId'], selections: true, draftOrders: true },
  'order-sign': { strings: ['userId', 'patientId'], draftOrders: true },
});

export function isFhirResource(v: unknown): v is Resource {
  return isObject(v) && typeof v.resourceType === 'string' && /^[A-Z][A-Za-z]{1,63}$/.test(v.resourceType);
}

export function parseHookRequest(body: unknown, expectedHook: string): HookRequest {
  if (!isObject(body)) throw bad('the body must be a JSON object with hook, hookInstance and context');
  if (body.hook !== expectedHook) throw bad(`hook must be '${expectedHook}' for this service, got ${JSON.stringify(body.hook)?.slice(0, 60)}`);
  if (!nonEmptyString(body.hookInstance)) throw bad('hookInstance is required: a UUID for this hook call');
  if (!isObject(body.context)) throw bad('context is required: an object with the hook\'s context fields');
  const rules = HOOK_CONTEXT[expectedHook];
  for (const field of rules.strings) if (!nonEmptyString(body.context[field])) throw bad(`context.${field} is required for ${expectedHook} (a string)`);
  if (body.context.encounterId !== undefined && !nonEmptyString(body.context.encounterId)) throw bad('context.encounterId must be a string when given');
  if (rules.selections && (!Array.isArray(body.context.selections) || !body.context.selections.length || !body.context.selections.every(nonEmptyString))) {
    throw bad(`context.selections is required for ${expectedHook}: the ids of the newly selected orders (e.g. "MedicationRequest/123")`);
  }
  if (rules.draftOrders) {
    const drafts = body.context.draftOrders;
    if (!isFhirResource(drafts) || drafts.resourceType !== 'Bundle') throw bad(`context.draftOrders is required for ${expectedHook}: a FHIR Bundle of the draft orders`);
    // Each draft is checked against every other order: a bound keeps one call's work bounded.
    if (((drafts as Bundle).entry ?? []).length > MAX_DRAFT_ORDERS) throw bad(`context.draftOrders has more than ${MAX_DRAFT_ORDERS} entries; send the orders of one signing session`);
    for (const [i, e] of ((drafts as Bundle).entry ?? []).entries()) {
      if (!isObject(e) || !isFhirResource(e.resource)) throw bad(`context.draftOrders.entry[${i}].resource is not a FHIR resource`);
    }
  }
  let fhirServer: string | undefined;
  if (body.fhirServer !== undefined) {
    if (!nonEmptyString(body.fhirServer)) throw bad('fhirServer must be the URL of the client\'s FHIR server');
    let url: URL;
    try {
      url = new URL(body.fhirServer);
    } catch {
      throw bad('fhirServer must be an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('fhirServer must be an http(s) URL');
    fhirServer = body.fhirServer.replace(/\/+$/, '');
  }
  let fhirAuthorization: FhirAuthorization | undefined;
  if (body.fhirAuthorization !== undefined) {
    const a = body.fhirAuthorization;
    if (!isObject(a) || !nonEmptyString(a.access_token) || a.token_type !== 'Bearer' || typeof a.expires_in !== 'number' || !nonEmptyString(a.scope) || !nonEmptyString(a.subject)) {
      throw bad('fhirAuthorization must have access_token, token_type "Bearer", expires_in, scope and subject');
    }
    if (!fhirServer) throw bad('fhirServer is required when fhirAuthorization is given');
    fhirAuthorization = a as unknown as FhirAuthorization;
  }
  const prefetch: Record<string, Resource | null> = {};
  if (body.prefetch !== undefined) {
    if (!isObject(body.prefetch)) throw bad('prefetch must be an object of prefetch keys to FHIR resources');
    for (const [key, value] of Object.entries(body.prefetch)) {
      if (value !== null && !isFhirResource(value)) throw bad(`prefetch.${key} is not a FHIR resource (an object with a resourceType) nor null`);
      if (value && value.resourceType === 'Bundle') {
        for (const [i, e] of ((value as Bundle).entry ?? []).entries()) {
          if (!isObject(e) || (e.resource !== undefined && !isFhirResource(e.resource))) throw bad(`prefetch.${key}.entry[${i}].resource is not a FHIR resource`);
        }
      }
      prefetch[key] = value;
    }
  }
  return { hook: expectedHook, hookInstance: body.hookInstance, ...(fhirServer ? { fhirServer } : {}), ...(fhirAuthorization ? { fhirAuthorization } : {}), context: body.context, prefetch };
}

/** Why a resource is not valid FHIR (the first error), or undefined when it is. */
export type ResourceCheck = (resource: Resource) => string | undefined;

/**
 * Every resource the client sent — prefetch values, their Bundle entries and the draft orders —
 * must be valid FHIR R4: the services read their elements by the R4 types, so a malformed one is
 * the client's error (400), not a crash or a silently wrong card.
 */
export function checkSentResources(request: HookRequest, check: ResourceCheck): void {
  const inspect = (resource: Resource, where: string) => {
    const why = check(resource);
    if (why) throw bad(`${where} is not a valid FHIR ${resource.resourceType}: ${why}`);
  };
  const each = (value: Resource, where: string) => {
    if (value.resourceType === 'Bundle') {
      for (const [i, e] of ((value as Bundle).entry ?? []).entries()) if (e.resource) inspect(e.resource, `${where}.entry[${i}].resource`);
      return;
    }
    inspect(value, where);
  };
  for (const [key, value] of Object.entries(request.prefetch)) if (value) each(value, `prefetch.${key}`);
  if (isFhirResource(request.context.draftOrders)) each(request.context.draftOrders, 'context.draftOrders');
}
