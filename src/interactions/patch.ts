// The patch interaction (R4 http.html#patch): JSON Patch or FHIRPath Patch applied to the current
// version inside the write transaction, then written as an ordinary update (same If-Match check,
// validation and indexing). Any failure throws before the write, so the resource stays untouched.
import { errors, FhirError } from '../fhir/errors';
import { markNumberLexemes } from '../fhir/exact-numbers';
import { assertJsonDepth, parseFhirJson, parseStoredJson } from '../fhir/json';
import type { EngineTransaction } from '../storage/engine';
import { updateIn, type WriteOutcome, type WritePreconditions } from './crud';
import { applyFhirPathPatch, parseFhirPathPatch, type FhirPathPatchOperation } from './patch-fhirpath';
import { applyJsonPatch, parseJsonPatch, type JsonPatchOperation } from './patch-json';
import { assertId, assertResourceType } from './resource-write';
import type { Services } from './services';
import { requireMatcher, type CriteriaMatcher, normaliseCriteria } from './conditional';

export const JSON_PATCH_TYPE = 'application/json-patch+json';

export type PatchDocument = { kind: 'json'; operations: JsonPatchOperation[] } | { kind: 'fhirpath'; operations: FhirPathPatchOperation[] };

/** A patch document from its media type and parsed JSON body. */
export function parsePatch(contentType: string, body: unknown): PatchDocument {
  if (contentType === JSON_PATCH_TYPE) return { kind: 'json', operations: parseJsonPatch(body) };
  return { kind: 'fhirpath', operations: parseFhirPathPatch(body) };
}

/** In a Bundle, a PATCH entry carries a Binary (JSON Patch, base64) or a Parameters resource. */
export function patchFromBundleResource(resource: unknown): PatchDocument {
  const r = resource as { resourceType?: unknown; contentType?: unknown; data?: unknown } | undefined;
  if (r?.resourceType === 'Parameters') return parsePatch('application/fhir+json', r);
  if (r?.resourceType === 'Binary') {
    if (r.contentType !== JSON_PATCH_TYPE) throw errors.badRequest(`A Binary patch must have contentType ${JSON_PATCH_TYPE}`);
    if (typeof r.data !== 'string') throw errors.badRequest('The Binary patch has no data');
    let doc: unknown;
    try {
      doc = parseFhirJson(Buffer.from(r.data, 'base64').toString('utf8'));
    } catch (e) {
      if (e instanceof FhirError && e.errorCode !== 'INVALID_JSON') throw e; // too deep, number out of range
      throw errors.invalidJson(`Binary.data does not decode to JSON: ${(e as Error).message.slice(0, 120)}`);
    }
    return { kind: 'json', operations: parseJsonPatch(doc) };
  }
  throw errors.badRequest('A PATCH entry needs a resource: Parameters (FHIRPath Patch) or Binary (JSON Patch)');
}

export async function patchIn(
  tx: EngineTransaction,
  services: Services,
  type: string,
  id: string,
  patch: PatchDocument,
  pre: WritePreconditions = {},
): Promise<WriteOutcome> {
  assertResourceType(services, type);
  assertId(id);
  const current = await tx.read(type, id);
  if (!current) throw errors.notFound(type, id);
  if (current.deleted) throw errors.gone(type, id, String(current.versionId));
  // Exact parse: decimals of the stored resource keep their text (`1.50`) through the patch.
  const before = parseStoredJson(current.json!) as Record<string, unknown>;
  const after = (patch.kind === 'json' ? applyJsonPatch(before, patch.operations) : applyFhirPathPatch(before, patch.operations)) as Record<string, unknown> | null;
  if (!after || typeof after !== 'object' || Array.isArray(after)) throw errors.badRequest('The patch does not leave a resource');
  // Values from the patch may nest the resource deeper than any body may: refuse before validation walks it.
  assertJsonDepth(after);
  markNumberLexemes(after);
  if (after.resourceType !== type) throw errors.badRequest('A patch cannot change resourceType');
  if (after.id !== id) throw errors.badRequest('A patch cannot change the id');
  return updateIn(tx, services, type, id, after, pre);
}

/** PATCH [type]?criteria: patches the one match; 404 when none, 412 when several. */
export async function conditionalPatchIn(
  tx: EngineTransaction,
  services: Services,
  matcher: CriteriaMatcher | undefined,
  type: string,
  criteria: string,
  patch: PatchDocument,
  pre: WritePreconditions = {},
): Promise<WriteOutcome> {
  assertResourceType(services, type);
  const found = await requireMatcher(matcher)(tx, type, normaliseCriteria(type, criteria), 2);
  if (found.length === 0) throw errors.notFound(type, `?${criteria.slice(0, 100)}`);
  if (found.length > 1) throw errors.preconditionFailed(`Conditional patch: the criteria '${criteria.slice(0, 120)}' match more than one ${type}`);
  return patchIn(tx, services, type, found[0].id, patch, pre);
}
