// Turns a client's resource body into the version the server stores: checks the rules of the REST
// API that sit above the schema, sets the server-owned meta, validates, and computes the index.
import type { Resource } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import { hasErrors } from '../fhir/validation';
import { serialiseResource } from '../fhir/json';
import { assertReferences } from '../fhir/references';
import type { VersionWrite } from '../storage/engine';
import type { Services } from './services';

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function assertResourceType(services: Services, type: string): void {
  if (!services.definitions.isResourceType(type)) throw errors.unknownType(type);
}

export function assertId(id: string): void {
  if (!ID_PATTERN.test(id)) throw errors.invalidId(id);
}

/** A body must be a JSON object whose resourceType is the type the URL names. */
export function assertBodyType(body: unknown, type: string): asserts body is Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.notAResource();
  const rt = (body as { resourceType?: unknown }).resourceType;
  if (rt === undefined) throw errors.notAResource();
  if (rt !== type) throw errors.typeMismatch(type, rt);
}

/**
 * Builds the version to store: `id`, `meta.versionId` and `meta.lastUpdated` are the server's
 * (whatever the client sent), the rest of meta (profile, tag, security, source) is the client's.
 * Key order puts resourceType, id and meta first, as FHIR examples do.
 */
export function prepareVersion(
  services: Services,
  body: Resource,
  id: string,
  versionId: number,
  lastUpdated: string,
): { version: VersionWrite; resource: Resource } {
  const { resourceType, id: _clientId, meta, ...rest } = body as Resource & Record<string, unknown>;
  const clientMeta = (typeof meta === 'object' && meta !== null ? meta : {}) as Record<string, unknown>;
  const { versionId: _v, lastUpdated: _l, ...keptMeta } = clientMeta;
  const resource = { resourceType, id, meta: { ...keptMeta, versionId: String(versionId), lastUpdated }, ...rest } as Resource;
  // Errors refuse the write with every issue found (warnings included, so the client sees all);
  // warnings alone do not.
  const issues = services.validator.validate(resource, resourceType);
  if (hasErrors(issues)) throw errors.invalidResource(issues);
  const json = serialiseResource(resource);
  assertReferences(services.definitions, resource, json);
  return {
    resource,
    version: {
      resourceType,
      id,
      versionId,
      lastUpdated,
      deleted: false,
      json,
      index: services.indexer(resource),
    },
  };
}

/** Server time as FHIR instant text with milliseconds; strictly increasing per process so that
 * two versions written in the same millisecond still sort in write order. */
export function nextInstant(services: Services, previous?: string): string {
  let t = services.clock.now().getTime();
  if (previous) {
    const p = Date.parse(previous);
    if (t <= p) t = p + 1;
  }
  return new Date(t).toISOString();
}
