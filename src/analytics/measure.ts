// Measure evaluation for proportion measures whose population criteria are FHIR Expressions in
// `application/x-fhir-query` over the measure's subjects (Patients): each criterion becomes the
// predicates of a Patient SearchPlan, and every population is counted in the database as a
// combination of them (Quality Measure IG proportion semantics):
//   initial population  IP = ip
//   denominator         DEN = IP ∧ den                 (den absent: DEN = IP)
//   denominator excl.   DENEX = DEN ∧ denex
//   numerator           NUM = DEN ∧ ¬denex ∧ num
//   numerator excl.     NUMEX = NUM ∧ numex
//   denominator exc.    DENEXCEP = DEN ∧ ¬denex ∧ ¬num ∧ denexcep
//   score               (NUM − NUMEX) / (DEN − DENEX − DENEXCEP)
// `{{%periodStart}}` and `{{%periodEnd}}` in a criterion are replaced by the period asked for.
// Other expression languages (text/cql, text/fhirpath) are refused with 400, never ignored.
import type { List, Measure, MeasureReport, MeasureReportGroup, MeasureReportGroupPopulation } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { errors } from '../fhir/errors';
import { restrictingPredicates } from './criteria';
import type { Predicate } from '../search/plan';
import type { SearchServices } from '../search/service';

export const POPULATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/measure-population';
const CODES = ['initial-population', 'denominator', 'denominator-exclusion', 'denominator-exception', 'numerator', 'numerator-exclusion'] as const;
type PopulationCode = (typeof CODES)[number];
/** Most subjects listed per population in a subject-list report. */
export const MAX_SUBJECT_LIST = 10_000;

export interface MeasureRequest {
  periodStart: string;
  periodEnd: string;
  reportType: 'subject' | 'subject-list' | 'population';
  subject?: string;
  baseUrl: string;
  now: Date;
}

/** The criteria of every group, compiled (throws 400 for anything this server cannot evaluate). */
export function compileMeasure(measure: Measure, search: SearchServices, baseUrl: string, vars: Record<string, string>): Array<Map<PopulationCode, Predicate[]>> {
  const scoring = measure.scoring?.coding?.[0]?.code;
  if (scoring !== 'proportion') throw errors.notSupported(`Measure/${measure.id}: scoring '${scoring ?? '(none)'}' is not supported; this server evaluates proportion measures`);
  if (!measure.group?.length) throw errors.badRequest(`Measure/${measure.id} has no group`);
  return measure.group.map((group, gi) => {
    const compiled = new Map<PopulationCode, Predicate[]>();
    for (const [pi, population] of (group.population ?? []).entries()) {
      const code = population.code?.coding?.find((c) => c.system === POPULATION_SYSTEM)?.code as PopulationCode | undefined;
      const where = `Measure.group[${gi}].population[${pi}]`;
      if (!code || !CODES.includes(code)) throw errors.notSupported(`${where}: population '${code ?? '(no code)'}' is not one of ${CODES.join(', ')}`);
      compiled.set(code, compileCriteria(population.criteria?.language, population.criteria?.expression, `${where}.criteria`, search, baseUrl, vars));
    }
    if (!compiled.has('initial-population') || !compiled.has('numerator')) throw errors.badRequest(`Measure/${measure.id} group ${gi}: a proportion measure needs an initial-population and a numerator`);
    return compiled;
  });
}

function compileCriteria(language: string | undefined, expression: string | undefined, where: string, search: SearchServices, baseUrl: string, vars: Record<string, string>): Predicate[] {
  if (language !== 'application/x-fhir-query') {
    throw errors.notSupported(`${where}: criteria in '${language ?? '(no language)'}' are not supported; this server evaluates application/x-fhir-query criteria only (text/cql is not supported)`);
  }
  if (!expression) throw errors.badRequest(`${where}: the criteria has no expression`);
  const text = expression.replace(/\{\{\s*%(\w+)\s*\}\}/g, (m, name: string) => {
    if (!(name in vars)) throw errors.notSupported(`${where}: the variable %${name} is not known (known: ${Object.keys(vars).map((v) => `%${v}`).join(', ')})`);
    return encodeURIComponent(vars[name]);
  });
  if (text.includes('{{')) throw errors.notSupported(`${where}: only {{%variable}} substitutions are supported in x-fhir-query`);
  const q = text.indexOf('?');
  const type = q < 0 ? text : text.slice(0, q);
  if (type !== 'Patient') throw errors.notSupported(`${where}: criteria must select Patients (Patient?…), the measure's subjects; got '${type.slice(0, 40)}'`);
  const predicates = restrictingPredicates(search, baseUrl, 'Patient', q < 0 ? '' : text.slice(q + 1));
  if (!predicates) throw errors.badRequest(`${where}: criteria may only select (no _include, _revinclude or _sort)`);
  return predicates;
}

const all = (where: Predicate[]): Predicate => ({ kind: 'and', all: where });
const not = (where: Predicate[]): Predicate => ({ kind: 'not', predicate: all(where) });

/** Each population as the predicates of its Patient search. */
export function populationPlans(c: Map<PopulationCode, Predicate[]>): Map<PopulationCode, Predicate[]> {
  const ip = c.get('initial-population')!;
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

export async function evaluateMeasure(data: DataAccess, search: SearchServices, measure: Measure, request: MeasureRequest): Promise<MeasureReport> {
  const groups = compileMeasure(measure, search, request.baseUrl, { periodStart: request.periodStart, periodEnd: request.periodEnd });
  const subjectWhere: Predicate[] = [];
  if (request.subject) {
    const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(request.subject);
    if (!m) throw errors.invalidParam('subject', `'${request.subject.slice(0, 80)}' is not a Patient reference`);
    subjectWhere.push({ kind: 'id', ids: [m[1]] });
  }
  const contained: List[] = [];
  const reportGroups: MeasureReportGroup[] = [];
  for (const [gi, compiled] of groups.entries()) {
    const counts = new Map<PopulationCode, number>();
    const population: MeasureReportGroupPopulation[] = [];
    for (const [code, where] of populationPlans(compiled)) {
      const plan = { resourceTypes: ['Patient'], where: [...where, ...subjectWhere], sort: [], count: 0, total: 'accurate' as const, include: [], revinclude: [] };
      const count = (await data.search(plan)).total ?? 0;
      counts.set(code, count);
      const entry: MeasureReportGroupPopulation = { code: { coding: [{ system: POPULATION_SYSTEM, code }] }, count };
      if (request.reportType === 'subject-list') {
        if (count > MAX_SUBJECT_LIST) throw errors.badRequest(`The ${code} has ${count} subjects, more than a subject-list report lists (${MAX_SUBJECT_LIST}): ask for a population report`);
        const id = `g${gi}-${code}`;
        contained.push(await subjectList(data, id, plan.where));
        entry.subjectResults = { reference: `#${id}` };
      }
      population.push(entry);
    }
    const denominator = counts.get('denominator')! - (counts.get('denominator-exclusion') ?? 0) - (counts.get('denominator-exception') ?? 0);
    const numerator = counts.get('numerator')! - (counts.get('numerator-exclusion') ?? 0);
    reportGroups.push({
      ...(measure.group![gi].id ? { id: measure.group![gi].id } : {}),
      population,
      ...(denominator > 0 ? { measureScore: { value: numerator / denominator } } : {}),
    });
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

/** The subjects of one population as a List (contained in the report), paged from the database. */
async function subjectList(data: DataAccess, id: string, where: Predicate[]): Promise<List> {
  const entry: NonNullable<List['entry']> = [];
  let cursor: string | undefined;
  do {
    const page = await data.search({ resourceTypes: ['Patient'], where, sort: [], count: 1000, ...(cursor ? { cursor } : {}), total: 'none', include: [], revinclude: [] });
    for (const v of page.matches) entry.push({ item: { reference: `Patient/${v.id}` } });
    cursor = page.nextCursor;
  } while (cursor);
  return { resourceType: 'List', id, status: 'current', mode: 'snapshot', ...(entry.length ? { entry } : {}) };
}
