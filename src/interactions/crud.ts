// The instance-level interactions of FHIR R4 (create, read, vread, update, delete) over the engine
// contract, without HTTP. Each write runs inside an engine transaction so that a precondition
// (If-Match, conditional criteria) is checked against the state it then changes. The `*In`
// variants take an open transaction: Bundle transactions compose them.
import type { Resource } from '@medplum/fhirtypes';
import { errors, FhirError } from '../fhir/errors';
import { LOST_RACE_CODES, type EngineReader, type EngineTransaction, type ResourceVersion } from '../storage/engine';
import type { Services } from './services';
import { writeWithRules } from '../workflow/scheduling';
import type { DataAccess } from '../access/data-access';
import { assertBodyType, assertId, assertResourceType, nextInstant, prepareVersion } from './resource-write';

export interface WriteOutcome {
  /** 201 created, 200 updated, 204 deleted (or nothing to delete). */
  status: 200 | 201 | 204;
  /** The version written (for a delete: the delete marker; absent when nothing was written). */
  version?: ResourceVersion;
  /** The stored resource as an object (absent for deletes). */
  resource?: Resource;
}

export interface WritePreconditions {
  /** Value of If-Match (`W/"3"`, `"3"` or `3`). */
  ifMatch?: string;
}

/** Parses an ETag as clients send it in If-Match / If-None-Match: W/"n", "n" or n. */
export function parseETag(value: string): string | undefined {
  const m = /^\s*(?:W\/)?"?([^"\s]+)"?\s*$/.exec(value);
  return m?.[1];
}

function checkIfMatch(type: string, id: string, current: ResourceVersion | undefined, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  const expected = parseETag(ifMatch);
  if (!expected) throw errors.badRequest(`If-Match '${ifMatch.slice(0, 40)}' is not an ETag such as W/"3"`);
  if (!current || current.deleted) throw errors.preconditionFailed(`If-Match was given but ${type}/${id} does not exist`);
  if (String(current.versionId) !== expected) throw errors.versionConflict(type, id, expected, String(current.versionId));
}

export async function createIn(tx: EngineTransaction, services: Services, type: string, body: unknown): Promise<WriteOutcome> {
  assertResourceType(services, type);
  assertBodyType(body, type);
  const id = services.newId();
  const { version, resource } = prepareVersion(services, body, id, 1, nextInstant(services));
  const amended = await writeWithRules(tx, services, version);
  return { status: 201, version, resource: amended ?? resource };
}

export async function updateIn(
  tx: EngineTransaction,
  services: Services,
  type: string,
  id: string,
  body: unknown,
  pre: WritePreconditions = {},
): Promise<WriteOutcome> {
  assertResourceType(services, type);
  assertId(id);
  assertBodyType(body, type);
  const bodyId = (body as { id?: unknown }).id;
  if (bodyId !== id) throw errors.idMismatch(id, bodyId);
  const current = await tx.read(type, id);
  checkIfMatch(type, id, current, pre.ifMatch);
  const versionId = current ? current.versionId + 1 : 1;
  const { version, resource } = prepareVersion(services, body, id, versionId, nextInstant(services, current?.lastUpdated));
  const amended = await writeWithRules(tx, services, version);
  return { status: current && !current.deleted ? 200 : 201, version, resource: amended ?? resource };
}

export async function deleteIn(
  tx: EngineTransaction,
  services: Services,
  type: string,
  id: string,
  pre: WritePreconditions = {},
): Promise<WriteOutcome> {
  assertResourceType(services, type);
  assertId(id);
  const current = await tx.read(type, id);
  checkIfMatch(type, id, current, pre.ifMatch);
  // R4: deleting a resource that does not exist, or is already deleted, succeeds with no effect.
  if (!current || current.deleted) return { status: 204 };
  const version: ResourceVersion = {
    resourceType: type,
    id,
    versionId: current.versionId + 1,
    lastUpdated: nextInstant(services, current.lastUpdated),
    deleted: true,
  };
  await writeWithRules(tx, services, version);
  return { status: 204, version };
}

/** Current version of a resource; 404 if never written, 410 if deleted. */
export async function readIn(reader: EngineReader, services: Services, type: string, id: string): Promise<ResourceVersion> {
  assertResourceType(services, type);
  assertId(id);
  const current = await reader.read(type, id);
  if (!current) throw errors.notFound(type, id);
  if (current.deleted) throw errors.gone(type, id, String(current.versionId));
  return current;
}

export async function vreadIn(reader: EngineReader, services: Services, type: string, id: string, vid: string): Promise<ResourceVersion> {
  assertResourceType(services, type);
  assertId(id);
  const n = /^[1-9][0-9]{0,14}$/.test(vid) ? Number(vid) : NaN;
  if (!Number.isSafeInteger(n)) throw errors.versionNotFound(type, id, vid.slice(0, 20));
  const version = await reader.vread(type, id, n);
  if (!version) {
    if (!(await reader.read(type, id))) throw errors.notFound(type, id);
    throw errors.versionNotFound(type, id, vid);
  }
  if (version.deleted) throw errors.gone(type, id, vid);
  return version;
}

// ---- one-shot forms, each its own transaction through the caller's door ----------------------
export const create = (data: DataAccess, s: Services, type: string, body: unknown) => data.transaction((tx) => createIn(tx, s, type, body));
export const update = (data: DataAccess, s: Services, type: string, id: string, body: unknown, pre?: WritePreconditions) =>
  afterConcurrentWriters(pre, () => data.transaction((tx) => updateIn(tx, s, type, id, body, pre)));
export const remove = (data: DataAccess, s: Services, type: string, id: string, pre?: WritePreconditions) =>
  afterConcurrentWriters(pre, () => data.transaction((tx) => deleteIn(tx, s, type, id, pre)));

/** How long a version-unaware write keeps retrying lost races before it reports the conflict. */
const RACE_DEADLINE_MS = 15_000;

/**
 * An update or delete without If-Match does not claim to replace a particular version, so a
 * concurrent writer is no conflict for it: it simply becomes the next version after that writer's.
 * Engines serialise the writers of one resource (SQLite runs transactions one at a time; MongoDB
 * locks the resource without transactions and retries conflicting transactions), so a lost race is
 * rare: a crashed writer's version rolled forward, or a conflict a transaction could not resolve.
 * It is retried here with jittered, growing waits until a deadline, not a fixed number of times,
 * so that any number of concurrent writers converges. With If-Match the client named the version,
 * and the conflict is theirs to see.
 */
export async function afterConcurrentWriters<T>(pre: WritePreconditions | undefined, write: () => Promise<T>, deadlineMs = RACE_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      const lostRace = e instanceof FhirError && LOST_RACE_CODES.has(e.errorCode);
      if (!lostRace || pre?.ifMatch !== undefined || Date.now() >= deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 ** attempt)));
    }
  }
}

