// Patient $everything (R4 patient-operation-everything): the patient, every resource in its Patient
// compartment (R4 CompartmentDefinition, fhir-profiles/compartments/), and the resources those
// reference (Practitioner, Organization, Location, Medication…) — all read through the caller's
// door, so an access policy restricts it as it restricts search.
//
// Paging is stable: the answer walks the Patient first, then every other member type in one
// multi-type search, each by the engine's own keyset cursor in its stable storage order, and the page token
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
  /** Index into the steps (Patient, the other member types), and the engine's cursor within it. */
  t: number;
  c?: string;
}

/** The most referenced resources added to one page. */
const MAX_INCLUDED = 1000;

export interface EverythingServices {
  registry: SearchRegistry;
  compartments: Compartments;
}

/** The steps walked, in page order: the Patient type, then every other member type in one
 * multi-type search (one query per page instead of one per type). */
export function memberSteps(services: EverythingServices, only?: string[]): string[][] {
  const keep = (t: string) => !only?.length || only.includes(t);
  const others = services.compartments.memberTypes('Patient').filter((t) => t !== 'Patient' && keep(t)).sort();
  return [keep('Patient') ? ['Patient'] : [], others].filter((step) => step.length);
}

export async function everythingPage(data: DataAccess, services: EverythingServices, request: EverythingRequest): Promise<EverythingPage> {
  const steps = memberSteps(services, request.types);
  const cursor = request.cursor ? decodeCursor(request.cursor, steps.length) : { t: 0 };
  const compartmentTypes = new Set(services.compartments.memberTypes('Patient'));
  const matches: ResourceVersion[] = [];
  const included = new Map<string, ResourceVersion>();
  let { t, c } = cursor;
  while (matches.length < request.count && t < steps.length) {
    const result = await data.search(planFor(services, steps[t], request, request.count - matches.length, c));
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
  const next = t < steps.length ? encodeCursor({ t, ...(c ? { c } : {}) }) : undefined;
  return { matches, included: [...included.values()], ...(next ? { next } : {}) };
}

/** One step's share of the answer as a SearchPlan. */
function planFor(services: EverythingServices, types: string[], request: EverythingRequest, count: number, cursor?: string): SearchPlan {
  const where: Predicate[] = [];
  if (types.length === 1 && types[0] === 'Patient') {
    if (request.patientId) where.push({ kind: 'or', any: [{ kind: 'id', ids: [request.patientId] }, services.compartments.membership('Patient', request.patientId, ['Patient'])] });
  } else {
    where.push(membership(services, types, request.patientId));
  }
  if (request.since) {
    const [low, high] = dateRange(request.since)!;
    where.push({ kind: 'range', valueKind: 'date', param: '_lastUpdated', prefix: 'ge', low, high });
  }
  const care = careDate(services, types, request);
  if (care) where.push(care);
  return {
    resourceTypes: types,
    where,
    sort: [],
    count,
    ...(cursor ? { cursor } : {}),
    total: 'none',
    include: [{ sourceType: '*', param: '*', iterate: false }],
    revinclude: [],
    maxIncluded: MAX_INCLUDED,
  };
}

/**
 * Compartment membership over several types at once, exactly per the CompartmentDefinition: for
 * each parameter, the types that list it, each referring to the patient (any Patient when no id:
 * every patient's compartment).
 */
function membership(services: EverythingServices, types: string[], patientId?: string): Predicate {
  const byParam = new Map<string, string[]>();
  for (const t of types) {
    for (const p of services.compartments.params('Patient', t)) if (p !== '{def}') byParam.set(p, [...(byParam.get(p) ?? []), t]);
  }
  return {
    kind: 'or',
    any: [...byParam].map(([param, ts]) => ({ kind: 'and', all: [{ kind: 'type', types: ts }, { kind: 'reference', param, type: 'Patient', ...(patientId ? { id: patientId } : {}) }] }) as Predicate),
  };
}

/**
 * `start`/`end` apply to care dates, not record dates (R4): the type's `date` search parameter
 * (Encounter, Observation, Procedure, Immunization, DiagnosticReport, CarePlan…). A resource with
 * no such date, or of a type without one (the Patient itself, Condition…), is not dated by care
 * and stays in the answer.
 */
function careDate(services: EverythingServices, types: string[], request: EverythingRequest): Predicate | undefined {
  if (!request.start && !request.end) return undefined;
  const dated = types.filter((t) => services.registry.param(t, 'date')?.type === 'date');
  if (!dated.length) return undefined;
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
  const undated = types.filter((t) => !dated.includes(t));
  const inRange: Predicate = { kind: 'and', all: [{ kind: 'type', types: dated }, ...bounds] };
  return undated.length ? { kind: 'or', any: [inRange, { kind: 'type', types: undated }] } : inRange;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string, steps: number): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (Number.isSafeInteger(c.t) && c.t >= 0 && c.t < steps && (c.c === undefined || typeof c.c === 'string')) return c;
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
