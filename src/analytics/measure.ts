// Measure evaluation, every figure counted or computed in the database. Criteria are compiled by
// measure-criteria.ts into predicates over the population basis (Patient, Appointment, Encounter,
// Slot…); each population is one search (or aggregate) combining them:
// proportion (Quality Measure IG semantics)
//   initial population  IP = ip
//   denominator         DEN = IP ∧ den                 (den absent: DEN = IP)
//   denominator excl.   DENEX = DEN ∧ denex
//   numerator           NUM = DEN ∧ ¬denex ∧ num
//   numerator excl.     NUMEX = NUM ∧ numex
//   denominator exc.    DENEXCEP = DEN ∧ ¬denex ∧ ¬num ∧ denexcep
//   score               (NUM − NUMEX) / (DEN − DENEX − DENEXCEP)
// continuous variable
//   measure population  MP = IP ∧ mp                   (mp absent: MP = IP)
//   MP exclusion        MPEX = MP ∧ mpex
//   observations        one per resource of MP ∧ ¬mpex: the measure observation (a duration,
//                       engine numericStats), aggregated by the group's method (median default)
// `subject` and `practitioner` restrict the basis (scope predicates); stratifiers: measure-strata.ts.
// Populations in text/fhirpath are decided first, per resource over the candidates the database
// selects, and become id lists (measure-fhirpath.ts).
import type { List, Measure, MeasureReport, MeasureReportGroup, MeasureReportGroupPopulation, MeasureReportGroupStratifier, Quantity } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { errors } from '../fhir/errors';
import type { Predicate } from '../search/plan';
import type { SearchServices } from '../search/service';
import type { NumericStats } from '../storage/engine';
import { compileMeasure, DURATION_UNITS, POPULATION_SYSTEM, type CompiledGroup, type MeasureObservation, type PopulationCode } from './measure-criteria';
import { applyPopulationRule } from './measure-fhirpath';
import { countsByStratum, strataOf } from './measure-strata';

export { POPULATION_SYSTEM };
/** Most members listed per population in a subject-list report. */
export const MAX_SUBJECT_LIST = 10_000;

export interface MeasureRequest {
  periodStart: string;
  periodEnd: string;
  reportType: 'subject' | 'subject-list' | 'population';
  subject?: string;
  practitioner?: string;
  baseUrl: string;
  now: Date;
  /** Called between database steps (a cancelled job throws from it). */
  checkpoint?: () => void;
}

const all = (where: Predicate[]): Predicate => ({ kind: 'and', all: where });
const not = (where: Predicate[]): Predicate => ({ kind: 'not', predicate: all(where) });

/** Each population of a group as the predicates of one search over the basis. */
export function populationPlans(group: CompiledGroup): Map<PopulationCode, Predicate[]> {
  const c = group.criteria;
  const ip = c.get('initial-population')!;
  if (group.scoring === 'continuous-variable') {
    const mp = [...ip, ...(c.get('measure-population') ?? [])];
    const out = new Map<PopulationCode, Predicate[]>([['initial-population', ip], ['measure-population', mp]]);
    const mpex = c.get('measure-population-exclusion');
    if (mpex) out.set('measure-population-exclusion', [...mp, all(mpex)]);
    return out;
  }
  const den = [...ip, ...(c.get('denominator') ?? [])];
  const denex = c.get('denominator-exclusion');
  const num = [...den, ...(denex ? [not(denex)] : []), ...c.get('numerator')!];
  const out = new Map<PopulationCode, Predicate[]>([
    ['initial-population', ip],
    ['denominator', den],
    ['numerator', num],
  ]);
  if (denex) out.set('denominator-exclusion', [...den, all(denex)]);
  const numex = c.get('numerator-exclusion');
  if (numex) out.set('numerator-exclusion', [...num, all(numex)]);
  const denexcep = c.get('denominator-exception');
  if (denexcep) out.set('denominator-exception', [...den, ...(denex ? [not(denex)] : []), not(c.get('numerator')!), all(denexcep)]);
  return out;
}

/** The resources observed in a continuous-variable group: MP ∧ ¬mpex. */
function observedPlan(group: CompiledGroup): Predicate[] {
  const mp = [...group.criteria.get('initial-population')!, ...(group.criteria.get('measure-population') ?? [])];
  const mpex = group.criteria.get('measure-population-exclusion');
  return mpex ? [...mp, not(mpex)] : mp;
}

function proportionScore(counts: Map<PopulationCode, number>): number | undefined {
  const denominator = counts.get('denominator')! - (counts.get('denominator-exclusion') ?? 0) - (counts.get('denominator-exception') ?? 0);
  const numerator = counts.get('numerator')! - (counts.get('numerator-exclusion') ?? 0);
  return denominator > 0 ? numerator / denominator : undefined;
}

function observationStats(data: DataAccess, basis: string, where: Predicate[], o: MeasureObservation): Promise<NumericStats> {
  return data.numericStats({ resourceType: basis, where, param: o.to, kind: 'number', duration: { from: o.from, to: o.to }, percentiles: o.method === 'median' ? [0.5] : o.percentile !== undefined ? [o.percentile] : [] });
}

function observationScore(stats: NumericStats, o: MeasureObservation): Quantity | undefined {
  if (o.method === 'count') return { value: stats.count };
  if (!stats.count) return undefined;
  const ms = { median: stats.percentiles[0], percentile: stats.percentiles[0], average: stats.mean, minimum: stats.min, maximum: stats.max, sum: stats.sum }[o.method];
  if (ms === undefined) return undefined;
  return { value: ms / DURATION_UNITS[o.unit].ms, unit: DURATION_UNITS[o.unit].display, system: 'http://unitsofmeasure.org', code: o.unit };
}

/** `subject` and `practitioner` as predicates over the basis (400 naming the parameter when the basis cannot be restricted so). */
function scopePredicates(basis: string, request: MeasureRequest, search: SearchServices): Predicate[] {
  const where: Predicate[] = [];
  const param = (candidates: string[], target: string) => candidates.find((p) => search.registry.param(basis, p)?.targets.includes(target));
  if (request.subject) {
    const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(request.subject);
    if (!m) throw errors.invalidParam('subject', `'${request.subject.slice(0, 80)}' is not a Patient reference`);
    if (basis === 'Patient') where.push({ kind: 'id', ids: [m[1]] });
    else {
      const via = param(['patient', 'subject'], 'Patient');
      if (!via) throw errors.invalidParam('subject', `this measure counts ${basis} resources, which have no patient to restrict to`);
      where.push({ kind: 'reference', param: via, type: 'Patient', id: m[1] });
    }
  }
  if (request.practitioner) {
    const m = /^(?:.*\/)?Practitioner\/([A-Za-z0-9\-.]{1,64})$/.exec(request.practitioner);
    if (!m) throw errors.invalidParam('practitioner', `'${request.practitioner.slice(0, 80)}' is not a Practitioner reference`);
    const practitioner: Predicate = { kind: 'reference', param: '', type: 'Practitioner', id: m[1] };
    const via = param(['general-practitioner', 'practitioner', 'performer', 'participant', 'actor'], 'Practitioner');
    if (via) where.push({ ...practitioner, param: via });
    else if (search.registry.param(basis, 'schedule')?.targets.includes('Schedule')) {
      where.push({ kind: 'chain', param: 'schedule', targetTypes: ['Schedule'], where: [{ ...practitioner, param: 'actor' }] });
    } else throw errors.invalidParam('practitioner', `this measure counts ${basis} resources, which have no practitioner to restrict to`);
  }
  return where;
}

export async function evaluateMeasure(data: DataAccess, search: SearchServices, measure: Measure, request: MeasureRequest): Promise<MeasureReport> {
  const compiled = compileMeasure(measure, { search, baseUrl: request.baseUrl, vars: { periodStart: request.periodStart, periodEnd: request.periodEnd } });
  const { basis } = compiled;
  const scope = scopePredicates(basis, request, search);
  const periodEnd = new Date(Date.parse(request.periodEnd.length === 10 ? `${request.periodEnd}T00:00:00Z` : request.periodEnd));
  const checkpoint = request.checkpoint ?? (() => undefined);
  // Populations with the same predicates (a denominator of `Basis?` is the initial population)
  // are counted once.
  const counted = new Map<string, number>();
  const count = async (where: Predicate[]) => {
    const key = JSON.stringify(where);
    if (!counted.has(key)) counted.set(key, (await data.search({ resourceTypes: [basis], where, sort: [], count: 0, total: 'accurate', include: [], revinclude: [] })).total ?? 0);
    return counted.get(key)!;
  };
  const contained: List[] = [];
  const reportGroups: MeasureReportGroup[] = [];
  const vars = { periodStart: request.periodStart, periodEnd: request.periodEnd };
  for (const [gi, group] of compiled.groups.entries()) {
    // FHIRPath populations: the initial population's over every basis resource in scope, the
    // others' over the initial population.
    for (const code of ['initial-population', ...[...group.rules.keys()].filter((c) => c !== 'initial-population')] as PopulationCode[]) {
      const rule = group.rules.get(code);
      if (!rule) continue;
      const candidates = code === 'initial-population' ? scope : [...group.criteria.get('initial-population')!, ...scope];
      group.criteria.set(code, [await applyPopulationRule(data, basis, candidates, rule, vars, checkpoint)]);
    }
    const plans = new Map<PopulationCode, Predicate[]>([...populationPlans(group)].map(([code, where]) => [code, [...where, ...scope]]));
    const counts = new Map<PopulationCode, number>();
    const population: MeasureReportGroupPopulation[] = [];
    for (const [code, where] of plans) {
      checkpoint();
      const n = await count(where);
      counts.set(code, n);
      const entry: MeasureReportGroupPopulation = { code: { coding: [{ system: POPULATION_SYSTEM, code }] }, count: n };
      if (request.reportType === 'subject-list') {
        if (n > MAX_SUBJECT_LIST) throw errors.badRequest(`The ${code} has ${n} members, more than a subject-list report lists (${MAX_SUBJECT_LIST}): ask for a population report`);
        const id = `g${gi}-${code}`;
        contained.push(await memberList(data, basis, id, where));
        entry.subjectResults = { reference: `#${id}` };
      }
      population.push(entry);
    }
    const out: MeasureReportGroup = { ...(measure.group![gi].id ? { id: measure.group![gi].id } : {}), population };
    if (group.scoring === 'proportion') {
      const score = proportionScore(counts);
      if (score !== undefined) out.measureScore = { value: score };
    } else {
      checkpoint();
      const stats = await observationStats(data, basis, [...observedPlan(group), ...scope], group.observation!);
      population.push({ code: { coding: [{ system: POPULATION_SYSTEM, code: 'measure-observation' }] }, count: stats.count });
      const score = observationScore(stats, group.observation!);
      if (score) out.measureScore = score;
    }
    if (group.stratifiers.length) out.stratifier = await stratify(data, basis, group, plans, scope, measure, gi, periodEnd, checkpoint);
    reportGroups.push(out);
  }
  return {
    resourceType: 'MeasureReport',
    ...(contained.length ? { contained } : {}),
    status: 'complete',
    type: request.reportType === 'subject' ? 'individual' : request.reportType === 'subject-list' ? 'subject-list' : 'summary',
    measure: measure.url ?? `${request.baseUrl}/Measure/${measure.id}`,
    ...(request.subject ? { subject: { reference: request.subject } } : {}),
    date: request.now.toISOString(),
    period: { start: request.periodStart, end: request.periodEnd },
    group: reportGroups,
  };
}

async function stratify(
  data: DataAccess,
  basis: string,
  group: CompiledGroup,
  plans: Map<PopulationCode, Predicate[]>,
  scope: Predicate[],
  measure: Measure,
  gi: number,
  periodEnd: Date,
  checkpoint: () => void,
): Promise<MeasureReportGroupStratifier[]> {
  const out: MeasureReportGroupStratifier[] = [];
  for (const [si, s] of group.stratifiers.entries()) {
    const definition = measure.group![gi].stratifier![si];
    checkpoint();
    const { strata, counts: ipCounts } = await strataOf(data, basis, plans.get('initial-population')!, s, periodEnd);
    const byPopulation = new Map<PopulationCode, Map<string, number>>();
    const byPlan = new Map<string, Map<string, number>>([...(ipCounts ? [[JSON.stringify(plans.get('initial-population')), ipCounts] as const] : [])]);
    for (const [code, where] of plans) {
      checkpoint();
      const key = JSON.stringify(where);
      if (!byPlan.has(key)) byPlan.set(key, await countsByStratum(data, basis, where, s, strata));
      byPopulation.set(code, byPlan.get(key)!);
    }
    const stratum = [];
    for (const st of strata) {
      const counts = new Map([...byPopulation].map(([code, m]) => [code, m.get(st.key) ?? 0] as const));
      const population: MeasureReportGroupPopulation[] = [...counts].map(([code, n]) => ({ code: { coding: [{ system: POPULATION_SYSTEM, code }] }, count: n }));
      let measureScore: Quantity | undefined;
      if (group.scoring === 'proportion') {
        const score = proportionScore(counts);
        if (score !== undefined) measureScore = { value: score };
      } else {
        checkpoint();
        const stats = await observationStats(data, basis, [...observedPlan(group), ...scope, ...st.where], group.observation!);
        population.push({ code: { coding: [{ system: POPULATION_SYSTEM, code: 'measure-observation' }] }, count: stats.count });
        measureScore = observationScore(stats, group.observation!);
      }
      stratum.push({ value: st.value, population, ...(measureScore ? { measureScore } : {}) });
    }
    out.push({ ...(definition.id ? { id: definition.id } : {}), code: [definition.code ?? { text: definition.criteria?.expression }], stratum });
  }
  return out;
}

/** The members of one population as a List (contained in the report), paged from the database. */
async function memberList(data: DataAccess, basis: string, id: string, where: Predicate[]): Promise<List> {
  const entry: NonNullable<List['entry']> = [];
  let cursor: string | undefined;
  do {
    const page = await data.search({ resourceTypes: [basis], where, sort: [], count: 1000, ...(cursor ? { cursor } : {}), total: 'none', include: [], revinclude: [] });
    for (const v of page.matches) entry.push({ item: { reference: `${basis}/${v.id}` } });
    cursor = page.nextCursor;
  } while (cursor);
  return { resourceType: 'List', id, status: 'current', mode: 'snapshot', ...(entry.length ? { entry } : {}) };
}
