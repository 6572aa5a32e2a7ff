// Conditional create, update, delete and references (R4 http.html#ccreate, #cond-update,
// #cdelete, #trules): the criteria are matched and the write is made inside one engine
// transaction, so concurrent conditional requests with the same criteria cannot both see "no
// match" and both create. Matching is delegated to a CriteriaMatcher (the search module's parser
// over tx.search), so there is one search implementation.
import { createHash } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { errors, FhirError } from '../fhir/errors';
import { parseStoredJson } from '../fhir/json';
import type { EngineReader, EngineTransaction, ResourceVersion } from '../storage/engine';
import { parseSearchQuery } from '../search/parse-query';
import type { SearchServices } from '../search/service';
import { deleteIn, updateIn, type WriteOutcome, type WritePreconditions } from './crud';
import { assertBodyType, assertResourceType, nextInstant, prepareVersion } from './resource-write';
import type { Services } from './services';
import { writeWithRules } from '../workflow/scheduling';

/**
 * The current, non-deleted resources of `type` that match `criteria` (a search query string
 * without the leading `?`), as seen by `reader` — inside a transaction, its own writes included.
 * `limit` bounds the answer: callers that only need to tell 0/1/many ask for 2.
 */
export type CriteriaMatcher = (reader: EngineReader, type: string, criteria: string, limit: number) => Promise<ResourceVersion[]>;

/** A CriteriaMatcher over the search module: the criteria are parsed strictly (an unknown
 * parameter is a 400, never silently ignored, since ignoring it would widen the match) and run
 * through `reader.search`, paging until `limit` matches are collected. */
export function searchCriteriaMatcher(search: Pick<SearchServices, 'registry' | 'terminology' | 'maxCount' | 'now'>): CriteriaMatcher {
  return async (reader, type, criteria, limit) => {
    const pageSize = Math.min(Math.max(limit, 1), 1000);
    const { plan } = parseSearchQuery(search.registry, [...new URLSearchParams(criteria)], {
      resourceTypes: [type],
      defaultCount: pageSize,
      maxCount: Math.max(pageSize, search.maxCount),
      now: search.now(),
      terminology: search.terminology,
    });
    const found: ResourceVersion[] = [];
    let cursor: string | undefined;
    do {
      const page = await reader.search({ ...plan, count: pageSize, cursor, total: 'none', include: [], revinclude: [], sort: [] });
      for (const v of page.matches) if (!v.deleted && found.length < limit) found.push(v);
      cursor = page.nextCursor;
    } while (cursor && found.length < limit);
    return found;
  };
}

/** Conditional interactions need search; servers without a matcher refuse them clearly. */
export function requireMatcher(matcher: CriteriaMatcher | undefined): CriteriaMatcher {
  if (!matcher) throw errors.notSupported('Conditional interactions need search, which this server build does not provide yet');
  return matcher;
}

/** Criteria as they arrive: `identifier=a|b`, `?identifier=a|b` or `Patient?identifier=a|b`. */
export function normaliseCriteria(type: string, criteria: string): string {
  let c = criteria.trim();
  if (c.startsWith(`${type}?`)) c = c.slice(type.length + 1);
  else if (c.startsWith('?')) c = c.slice(1);
  if (!c) throw errors.badRequest(`Conditional ${type} criteria must not be empty (they would match every ${type})`);
  if (/^[A-Z][A-Za-z]+\?/.test(c)) throw errors.badRequest(`Conditional criteria '${c.slice(0, 80)}' name another type than ${type}`);
  return c;
}

/**
 * The name under which conditional creates and updates with these criteria exclude each other
 * (`EngineTransaction.claim`): without it, two of them running at once on an engine whose
 * transactions overlap (MongoDB) would both see "no match" and both create. Parameters are
 * decoded and sorted, so the same criteria written differently claim the same name.
 */
export function criteriaClaim(type: string, criteria: string): string {
  const params = [...new URLSearchParams(normaliseCriteria(type, criteria))].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return `${type}?${createHash('sha256').update(JSON.stringify(params)).digest('base64url')}`;
}

async function match(tx: EngineReader, matcher: CriteriaMatcher, type: string, criteria: string, limit: number): Promise<ResourceVersion[]> {
  return matcher(tx, type, normaliseCriteria(type, criteria), limit);
}

function multipleMatches(type: string, criteria: string, what: string): FhirError {
  return errors.preconditionFailed(`${what}: the criteria '${criteria.slice(0, 120)}' match more than one ${type}`);
}

/** Create with a server id chosen by the caller (Bundle transactions assign ids before writing,
 * so that references between entries can be rewritten first). */
export async function createWithIdIn(tx: EngineTransaction, services: Services, type: string, id: string, body: unknown): Promise<WriteOutcome> {
  assertResourceType(services, type);
  assertBodyType(body, type);
  const { version, resource } = prepareVersion(services, body, id, 1, nextInstant(services));
  const amended = await writeWithRules(tx, services, version);
  return { status: 201, version, resource: amended ?? resource };
}

/** An existing resource, reported like a write outcome (conditional create that matched). */
export function existingOutcome(v: ResourceVersion): WriteOutcome {
  return { status: 200, version: v, resource: parseStoredJson(v.json!) as Resource };
}

/** Outcome of resolving If-None-Exist: the one existing match, or nothing (then create). The
 * criteria stay claimed until the transaction ends, so a concurrent twin waits for the create. */
export async function ifNoneExistIn(tx: EngineTransaction, matcher: CriteriaMatcher, type: string, criteria: string): Promise<ResourceVersion | undefined> {
  await tx.claim(criteriaClaim(type, criteria));
  const found = await match(tx, matcher, type, criteria, 2);
  if (found.length > 1) throw multipleMatches(type, criteria, 'Conditional create');
  return found[0];
}

/** POST with If-None-Exist: 200 with the match, or 201 with the created resource. */
export async function conditionalCreateIn(
  tx: EngineTransaction,
  services: Services,
  matcher: CriteriaMatcher,
  type: string,
  body: unknown,
  criteria: string,
): Promise<WriteOutcome> {
  assertResourceType(services, type);
  assertBodyType(body, type);
  const existing = await ifNoneExistIn(tx, matcher, type, criteria);
  if (existing) return existingOutcome(existing);
  return createWithIdIn(tx, services, type, services.newId(), body);
}

/** The id a conditional update writes to: the one match, the body's id, or a new id. The criteria
 * stay claimed until the transaction ends (see ifNoneExistIn). */
export async function resolveConditionalUpdateId(
  tx: EngineTransaction,
  services: Services,
  matcher: CriteriaMatcher,
  type: string,
  criteria: string,
  body: unknown,
): Promise<string> {
  await tx.claim(criteriaClaim(type, criteria));
  const found = await match(tx, matcher, type, criteria, 2);
  if (found.length > 1) throw multipleMatches(type, criteria, 'Conditional update');
  const bodyId = (body as { id?: unknown } | null)?.id;
  if (found.length === 1) {
    // R4: an id in the body must then be the id of the match.
    if (bodyId !== undefined && bodyId !== found[0].id) throw errors.idMismatch(found[0].id, bodyId);
    return found[0].id;
  }
  if (typeof bodyId === 'string') {
    // No match but an id: update-as-create, unless that id already names another resource.
    const current = await tx.read(type, bodyId);
    if (current && !current.deleted) throw errors.preconditionFailed(`Conditional update: ${type}/${bodyId} exists but does not match the criteria`);
    return bodyId;
  }
  return services.newId();
}

/** PUT [type]?criteria: update the one match, or create when nothing matches. */
export async function conditionalUpdateIn(
  tx: EngineTransaction,
  services: Services,
  matcher: CriteriaMatcher,
  type: string,
  criteria: string,
  body: unknown,
  pre: WritePreconditions = {},
): Promise<WriteOutcome> {
  assertResourceType(services, type);
  assertBodyType(body, type);
  const id = await resolveConditionalUpdateId(tx, services, matcher, type, criteria, body);
  return updateIn(tx, services, type, id, { ...(body as object), id }, pre);
}

export interface ConditionalDeleteOptions extends WritePreconditions {
  /** Server setting: delete every match instead of refusing several (config.allowMultipleDelete). */
  allowMultiple: boolean;
  /** Most resources one conditional delete may remove. */
  maxMatches?: number;
}

/** The resources a conditional delete removes (0, 1, or several when allowed). */
export async function conditionalDeleteTargets(
  tx: EngineReader,
  matcher: CriteriaMatcher,
  type: string,
  criteria: string,
  options: ConditionalDeleteOptions,
): Promise<ResourceVersion[]> {
  const limit = options.allowMultiple ? (options.maxMatches ?? 1000) + 1 : 2;
  const found = await match(tx, matcher, type, criteria, limit);
  if (found.length > 1 && !options.allowMultiple) throw multipleMatches(type, criteria, 'Conditional delete (multiple deletes are disabled on this server)');
  if (options.allowMultiple && found.length > (options.maxMatches ?? 1000)) {
    throw errors.preconditionFailed(`Conditional delete: the criteria match more than ${options.maxMatches ?? 1000} resources; narrow them`);
  }
  return found;
}

/** DELETE [type]?criteria. Returns one outcome per deleted resource (none when nothing matched). */
export async function conditionalDeleteIn(
  tx: EngineTransaction,
  services: Services,
  matcher: CriteriaMatcher,
  type: string,
  criteria: string,
  options: ConditionalDeleteOptions,
): Promise<WriteOutcome[]> {
  assertResourceType(services, type);
  const targets = await conditionalDeleteTargets(tx, matcher, type, criteria, options);
  const out: WriteOutcome[] = [];
  for (const t of targets) out.push(await deleteIn(tx, services, type, t.id, { ifMatch: options.ifMatch }));
  return out;
}

/** `Type?criteria` in a Reference: resolves to `Type/id` of exactly one match, or fails. */
export async function resolveConditionalReference(tx: EngineReader, services: Services, matcher: CriteriaMatcher, reference: string): Promise<string> {
  const q = reference.indexOf('?');
  const type = reference.slice(0, q);
  if (!services.definitions.isResourceType(type)) throw errors.badRequest(`Conditional reference '${reference.slice(0, 120)}' does not start with a resource type`);
  const found = await match(tx, matcher, type, reference.slice(q + 1), 2);
  if (found.length === 0) throw errors.preconditionFailed(`Conditional reference '${reference.slice(0, 120)}' matches no ${type}`);
  if (found.length > 1) throw errors.preconditionFailed(`Conditional reference '${reference.slice(0, 120)}' matches more than one ${type}`);
  return `${type}/${found[0].id}`;
}
