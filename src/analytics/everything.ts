// Patient $everything (R4 patient-operation-everything): the patient, every resource in its Patient
// compartment (R4 CompartmentDefinition, fhir-profiles/compartments/), and the resources those
// reference (Practitioner, Organization, Location, Medication…) — all read through the caller's
// door, so an access policy restricts it as it restricts search.
//
// Paging is stable: the answer walks the member types in a fixed order (Patient first, then the
// others alphabetically), each by the engine's own keyset cursor in its stable storage order, and the page token
// says which type and which engine cursor come next. A page's referenced resources ride on it as
// `search.mode = include` entries (an `_include=*` of that page), so every page is self-contained;
// resources that are themselves compartment types are never added as references (they belong to
// the compartment walk, and another patient's would not belong here at all).
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { errors } from '../fhir/errors';
import { parseStoredJson } from '../fhir/json';
import type { Compartments } from '../search/compartments';
import { dateRange } from '../search/normalise';
import type { Predicate, SearchPlan } from '../search/plan';
import type { SearchRegistry } from '../search/registry';
import type { ResourceVersion } from '../storage/engine';

export interface EverythingRequest {
  /** Instance level: the patient; absent: every patient (type level). */
  patientId?: string;
  /** Care dates (R4 `start`/`end`, dates): resources whose clinical date overlaps, plus those without one. */
  start?: string;
  end?: string;
  /** Only resources updated at or after this instant. */
  since?: string;
  /** Only these types (compartment members and referenced resources alike). */
  types?: string[];
  count: number;
  /** The page token of a `next` link. */
  cursor?: string;
}

export interface EverythingPage {
  matches: ResourceVersion[];
  included: ResourceVersion[];
  /** Token of the next page, when there is one. */
  next?: string;
}

interface Cursor {
  /** Index into the ordered member types, and the engine's cursor within that type. */
  t: number;
  c?: string;
}

/** The most referenced resources added to one page. */
const MAX_INCLUDED = 1000;

export interface EverythingServices {
  registry: SearchRegistry;
  compartments: Compartments;
}

/** The member types walked, in page order. */
export function memberTypes(services: EverythingServices, only?: string[]): string[] {
  const members = services.compartments.memberTypes('Patient').filter((t) => t !== 'Patient').sort();
  const ordered = ['Patient', ...members];
  return only?.length ? ordered.filter((t) => only.includes(t)) : ordered;
}

export async function everythingPage(data: DataAccess, services: EverythingServices, request: EverythingRequest): Promise<EverythingPage> {
  const types = memberTypes(services, request.types);
  const cursor = request.cursor ? decodeCursor(request.cursor, types.length) : { t: 0 };
  const compartmentTypes = new Set(services.compartments.memberTypes('Patient'));
  const matches: ResourceVersion[] = [];
  const included = new Map<string, ResourceVersion>();
  let { t, c } = cursor;
  while (matches.length < request.count && t < types.length) {
    const type = types[t];
    const result = await data.search(planFor(services, type, request, request.count - matches.length, c));
    matches.push(...result.matches);
    for (const v of result.included) {
      if (compartmentTypes.has(v.resourceType)) continue;
      if (request.types?.length && !request.types.includes(v.resourceType)) continue;
      included.set(`${v.resourceType}/${v.id}`, v);
    }
    if (result.nextCursor) c = result.nextCursor;
    else {
      t++;
      c = undefined;
    }
  }
  for (const m of matches) included.delete(`${m.resourceType}/${m.id}`);
  const next = t < types.length ? encodeCursor({ t, ...(c ? { c } : {}) }) : undefined;
  return { matches, included: [...included.values()], ...(next ? { next } : {}) };
}

/** One type's share of the answer as a SearchPlan. */
function planFor(services: EverythingServices, type: string, request: EverythingRequest, count: number, cursor?: string): SearchPlan {
  const where: Predicate[] = [];
  if (request.patientId) {
    const members = services.compartments.membership('Patient', request.patientId, [type]);
    where.push(type === 'Patient' ? { kind: 'or', any: [{ kind: 'id', ids: [request.patientId] }, members] } : members);
  } else if (type !== 'Patient') {
    // Every patient's compartment: any compartment parameter refers to some Patient.
    const params = services.compartments.params('Patient', type).filter((p) => p !== '{def}');
    where.push({ kind: 'or', any: params.map((param) => ({ kind: 'reference', param, type: 'Patient' }) as Predicate) });
  }
  if (request.since) {
    const [low, high] = dateRange(request.since)!;
    where.push({ kind: 'range', valueKind: 'date', param: '_lastUpdated', prefix: 'ge', low, high });
  }
  const care = careDate(services, type, request);
  if (care) where.push(care);
  return {
    resourceTypes: [type],
    where,
    sort: [],
    count,
    ...(cursor ? { cursor } : {}),
    total: 'none',
    include: [{ sourceType: type, param: '*', iterate: false }],
    revinclude: [],
    maxIncluded: MAX_INCLUDED,
  };
}

/**
 * `start`/`end` apply to care dates, not record dates (R4): the type's `date` search parameter
 * (Encounter, Observation, Procedure, Immunization, DiagnosticReport, CarePlan…). A resource with
 * no such date, or of a type without one (the Patient itself, Condition…), is not dated by care
 * and stays in the answer.
 */
function careDate(services: EverythingServices, type: string, request: EverythingRequest): Predicate | undefined {
  if (!request.start && !request.end) return undefined;
  const param = services.registry.param(type, 'date');
  if (!param || param.type !== 'date') return undefined;
  // Overlap of the stored [lo, hi) with [start.lo, end.hi): not ending before start and not
  // starting after end. `not` holds too for a resource without the date, which stays in.
  const bounds: Predicate[] = [];
  if (request.start) {
    const [low, high] = dateRange(request.start)!;
    bounds.push({ kind: 'not', predicate: { kind: 'range', valueKind: 'date', param: 'date', prefix: 'eb', low, high } });
  }
  if (request.end) {
    const [low, high] = dateRange(request.end)!;
    bounds.push({ kind: 'not', predicate: { kind: 'range', valueKind: 'date', param: 'date', prefix: 'sa', low, high } });
  }
  return bounds.length === 1 ? bounds[0] : { kind: 'and', all: bounds };
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string, types: number): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (Number.isSafeInteger(c.t) && c.t >= 0 && c.t < types && (c.c === undefined || typeof c.c === 'string')) return c;
  } catch {
    // fall through
  }
  throw errors.invalidParam('_cursor', 'is not a page token this server issued for this request; start again from the first page');
}

/** The page as a searchset Bundle with self/next links that repeat the request's parameters. */
export function everythingBundle(page: EverythingPage, baseUrl: string, path: string, query: Array<[string, string]>, cursor?: string): Bundle {
  const link = (relation: string, token?: string): BundleLink => {
    const params = new URLSearchParams(query.filter(([k]) => k !== '_cursor'));
    if (token) params.append('_cursor', token);
    const qs = params.toString();
    return { relation, url: `${baseUrl}/${path}${qs ? `?${qs}` : ''}` };
  };
  const entry = (v: ResourceVersion, mode: 'match' | 'include'): BundleEntry => ({
    fullUrl: `${baseUrl}/${v.resourceType}/${v.id}`,
    resource: parseStoredJson(v.json!) as Resource,
    search: { mode },
  });
  const entries = [...page.matches.map((v) => entry(v, 'match')), ...page.included.map((v) => entry(v, 'include'))];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [link('self', cursor), ...(page.next ? [link('next', page.next)] : [])],
    ...(entries.length ? { entry: entries } : {}),
  };
}
