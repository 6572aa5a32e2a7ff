// A Measure's criteria compiled into what the database can answer (analytics/measure.ts runs them):
//   - the population basis: the type named by Measure.subjectCodeableConcept (default Patient), the
//     resources every population counts;
//   - population criteria in `application/x-fhir-query` (`Basis?query`, with {{%periodStart}} and
//     {{%periodEnd}}) → the predicates of one search over the basis;
//   - a population about the MOST RECENT of the subject's resources (CMS165's last blood pressure,
//     CMS122's last HbA1c): extension measure-population-most-recent names the candidates
//     (`among`, an x-fhir-query over another type), how they refer to the member (`per`), their
//     date (`by`), and whether a member without any counts (`orNone`); the population's criteria
//     (`Type?query` over that type) is what the most recent one must satisfy → a `latest` predicate;
//   - population criteria in `text/fhirpath`: a per-resource rule over the basis resources the
//     x-fhir-query criteria select (measure-fhirpath.ts), compiled when the Measure is stored;
//   - the measure observation of a continuous-variable group in `text/fhirpath`, in the one form
//     this server computes in the database: `<date element> - <date element>` of the basis, each
//     element the path of a date search parameter (or `<period path>.start`), e.g.
//     `Appointment.start - Appointment.created`; unit and aggregate from extensions (below);
//   - stratifiers in `text/fhirpath`: the path of a token, reference or date search parameter of
//     the basis (`Appointment.serviceType`, `Slot.schedule`, `Appointment.start` → month), or
//     `Patient.gender` / `Patient.birthDate` (→ age band at the end of the period) — the subject
//     itself on a Patient basis, else the patient the resource is about (its `patient` or
//     `subject` reference).
// Anything else (text/cql, other FHIRPath) answers 400 naming the criteria; it is never ignored.
// `storing` (a Measure being written): the x-fhir-query and FHIRPath population criteria are
// checked, so a Measure written for another evaluator (CQL, observations or stratifiers beyond the
// forms above) can still be stored; its evaluation here answers 400.
import type { Extension, Measure, MeasureGroupPopulation } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import type { Predicate } from '../search/plan';
import type { SearchServices } from '../search/service';
import { restrictingPredicates } from './criteria';
import { compilePopulationRule, type PopulationRule } from './measure-fhirpath';
import { lookupTable } from '../lookup-table';

export const POPULATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/measure-population';
export const AGGREGATE_METHOD = 'http://hl7.org/fhir/us/cqfmeasures/StructureDefinition/cqfm-aggregateMethod';
export const OBSERVATION_UNIT = 'http://nimbus-fhir.org/fhir/StructureDefinition/measure-observation-unit';
export const OBSERVATION_PERCENTILE = 'http://nimbus-fhir.org/fhir/StructureDefinition/measure-observation-percentile';
export const FOLLOWED_BY = 'http://nimbus-fhir.org/fhir/StructureDefinition/measure-population-followed-by';
export const MOST_RECENT = 'http://nimbus-fhir.org/fhir/StructureDefinition/measure-population-most-recent';

const PROPORTION = ['initial-population', 'denominator', 'denominator-exclusion', 'denominator-exception', 'numerator', 'numerator-exclusion'] as const;
const CONTINUOUS = ['initial-population', 'measure-population', 'measure-population-exclusion', 'measure-observation'] as const;
export type PopulationCode = (typeof PROPORTION)[number] | (typeof CONTINUOUS)[number];
type Scoring = 'proportion' | 'continuous-variable';

/** UCUM units a duration observation may be reported in, with their length in ms. */
export const DURATION_UNITS: Record<string, { ms: number; display: string }> = lookupTable({
  min: { ms: 60_000, display: 'minutes' },
  h: { ms: 3_600_000, display: 'hours' },
  d: { ms: 86_400_000, display: 'days' },
});
const METHODS = ['median', 'average', 'minimum', 'maximum', 'sum', 'count', 'percentile'] as const;

export interface MeasureObservation {
  /** Date search parameters of the basis: the observation is to − from. */
  from: string;
  to: string;
  unit: string;
  method: (typeof METHODS)[number];
  /** For method percentile: in (0, 1). */
  percentile?: number;
}

export type StratifierKind = 'token' | 'reference' | 'month' | 'gender' | 'age-band';
export interface CompiledStratifier {
  id?: string;
  kind: StratifierKind;
  /** token / reference / month: the basis' parameter; gender / age-band: Patient's (`gender`, `birthdate`). */
  param: string;
  /** gender / age-band on a basis other than Patient: the basis' reference to the patient. */
  via?: string;
}

export interface CompiledGroup {
  scoring: Scoring;
  criteria: Map<PopulationCode, Predicate[]>;
  /** Populations in text/fhirpath: decided per resource (measure-fhirpath.ts), then by id. */
  rules: Map<PopulationCode, PopulationRule>;
  observation?: MeasureObservation;
  stratifiers: CompiledStratifier[];
}

export interface CompiledMeasure {
  basis: string;
  groups: CompiledGroup[];
}

export interface CompileOptions {
  search: SearchServices;
  baseUrl: string;
  vars: Record<string, string>;
  storing?: boolean;
}

export function measureBasis(measure: Measure, search: SearchServices): string {
  const basis = measure.subjectCodeableConcept?.coding?.[0]?.code ?? 'Patient';
  if (!search.registry.resourceTypes.has(basis)) throw errors.badRequest(`Measure.subjectCodeableConcept: '${basis.slice(0, 40)}' is not a resource type`);
  return basis;
}

export function compileMeasure(measure: Measure, options: CompileOptions): CompiledMeasure {
  const basis = measureBasis(measure, options.search);
  const scoringCode = measure.scoring?.coding?.[0]?.code;
  const known = scoringCode === 'proportion' || scoringCode === 'continuous-variable';
  if (!known && !options.storing) throw errors.notSupported(`Measure/${measure.id}: scoring '${scoringCode ?? '(none)'}' is not supported; this server evaluates proportion and continuous-variable measures`);
  if (!measure.group?.length && !options.storing) throw errors.badRequest(`Measure/${measure.id} has no group`);
  const scoring = (scoringCode ?? 'proportion') as Scoring;
  const groups = (measure.group ?? []).map((group, gi): CompiledGroup => {
    const criteria = new Map<PopulationCode, Predicate[]>();
    const rules = new Map<PopulationCode, PopulationRule>();
    let observation: MeasureObservation | undefined;
    const allowed: readonly string[] = scoring === 'continuous-variable' ? CONTINUOUS : PROPORTION;
    for (const [pi, population] of (group.population ?? []).entries()) {
      const code = population.code?.coding?.find((c) => c.system === POPULATION_SYSTEM)?.code;
      const where = `Measure.group[${gi}].population[${pi}]`;
      const language = population.criteria?.language;
      // Stored: search and FHIRPath criteria are checked. A population in CQL is for another
      // evaluator (the R4 examples' CQL measures code their populations without a system), so it
      // is stored as written; evaluating it here answers 400.
      if (options.storing && language !== 'application/x-fhir-query' && language !== 'text/fhirpath') continue;
      if (!code || !allowed.includes(code)) {
        if (options.storing && !known) continue;
        throw errors.notSupported(`${where}: population '${code ?? '(no code)'}' is not one of ${allowed.join(', ')} (${scoring})`);
      }
      if (options.storing && code === 'measure-observation') continue;
      if (code === 'measure-observation') observation = compileObservation(population, `${where}.criteria`, basis, options);
      else if (language === 'text/fhirpath') {
        rules.set(code as PopulationCode, compilePopulationRule(population.criteria?.expression, `${where}.criteria`, basis, options.vars));
        criteria.set(code as PopulationCode, []);
      } else if (extension(population.extension, MOST_RECENT)) {
        criteria.set(code as PopulationCode, [compileMostRecent(extension(population.extension, MOST_RECENT)!, language, population.criteria?.expression, where, basis, options)]);
      } else {
        const selected = compileQuery(language, population.criteria?.expression, `${where}.criteria`, basis, options);
        const followedBy = extension(population.extension, FOLLOWED_BY);
        criteria.set(code as PopulationCode, followedBy ? [compileFollowedBy(followedBy, selected, `${where}.extension`, basis, options)] : selected);
      }
    }
    const stratifiers = (options.storing ? [] : group.stratifier ?? []).map((s, si) => compileStratifier(s.criteria?.language, s.criteria?.expression, s.id, `Measure.group[${gi}].stratifier[${si}].criteria`, basis, options));
    if (!options.storing) {
      if (!criteria.has('initial-population')) throw errors.badRequest(`Measure/${measure.id} group ${gi}: an initial-population is needed`);
      if (scoring === 'proportion' && !criteria.has('numerator')) throw errors.badRequest(`Measure/${measure.id} group ${gi}: a proportion measure needs a numerator`);
      if (scoring === 'continuous-variable' && !observation) throw errors.badRequest(`Measure/${measure.id} group ${gi}: a continuous-variable measure needs a measure-observation`);
    }
    return { scoring, criteria, rules, ...(observation ? { observation } : {}), stratifiers: stratifiers.filter((s): s is CompiledStratifier => !!s) };
  });
  return { basis, groups };
}

/** `basis` here: the type the criteria must select (the population basis, or the candidates' type of a most-recent population). */
function compileQuery(language: string | undefined, expression: string | undefined, where: string, basis: string, options: CompileOptions): Predicate[] {
  if (language !== 'application/x-fhir-query') {
    throw errors.notSupported(`${where}: population criteria in '${language ?? '(no language)'}' are not supported; this server evaluates application/x-fhir-query population criteria (text/cql is not supported)`);
  }
  if (!expression) throw errors.badRequest(`${where}: the criteria has no expression`);
  const text = expression.replace(/\{\{\s*%(\w+)\s*\}\}/g, (m, name: string) => {
    if (!(name in options.vars)) throw errors.notSupported(`${where}: the variable %${name} is not known (known: ${Object.keys(options.vars).map((v) => `%${v}`).join(', ')})`);
    return encodeURIComponent(options.vars[name]);
  });
  if (text.includes('{{')) throw errors.notSupported(`${where}: only {{%variable}} substitutions are supported in x-fhir-query`);
  const q = text.indexOf('?');
  const type = q < 0 ? text : text.slice(0, q);
  if (type !== basis) throw errors.notSupported(`${where}: criteria must select ${basis} resources (${basis}?…); got '${type.slice(0, 40)}'`);
  let predicates: Predicate[] | undefined;
  try {
    predicates = restrictingPredicates(options.search, options.baseUrl, basis, q < 0 ? '' : text.slice(q + 1));
  } catch (e) {
    const detail = (e as { issue?: Array<{ diagnostics?: string }> }).issue?.[0]?.diagnostics ?? (e as Error).message;
    throw errors.badRequest(`${where}: '${expression.slice(0, 200)}' is not a valid search: ${detail}`);
  }
  if (!predicates) throw errors.badRequest(`${where}: criteria may only select (no _include, _revinclude or _sort)`);
  return predicates;
}

const extension = (exts: Extension[] | undefined, url: string) => exts?.find((e) => e.url === url);

function compileObservation(population: MeasureGroupPopulation, where: string, basis: string, options: CompileOptions): MeasureObservation {
  const { language, expression } = population.criteria ?? {};
  if (language !== 'text/fhirpath') throw errors.notSupported(`${where}: a measure observation must be text/fhirpath of the form '<date element> - <date element>' (got '${language ?? '(no language)'}'; text/cql is not supported)`);
  const m = /^\s*([A-Za-z][A-Za-z0-9.]*)\s+-\s+([A-Za-z][A-Za-z0-9.]*)\s*$/.exec(expression ?? '');
  if (!m) throw errors.notSupported(`${where}: '${(expression ?? '').slice(0, 100)}' is not of the form '<date element> - <date element>' (e.g. ${basis}.end - ${basis}.start), the measure observation this server computes`);
  const to = dateParam(m[1], where, basis, options);
  const from = dateParam(m[2], where, basis, options);
  const unit = extension(population.extension, OBSERVATION_UNIT)?.valueCode ?? 'd';
  if (!DURATION_UNITS[unit]) throw errors.badRequest(`${where}: unit '${unit.slice(0, 20)}' (${OBSERVATION_UNIT}) is not one of ${Object.keys(DURATION_UNITS).join(', ')}`);
  const method = (extension(population.extension, AGGREGATE_METHOD)?.valueCode ?? 'median') as MeasureObservation['method'];
  if (!METHODS.includes(method)) throw errors.notSupported(`${where}: aggregate method '${String(method).slice(0, 20)}' is not one of ${METHODS.join(', ')}`);
  const percentile = extension(population.extension, OBSERVATION_PERCENTILE)?.valueDecimal;
  if (method === 'percentile' && !(percentile !== undefined && percentile > 0 && percentile < 100)) throw errors.badRequest(`${where}: aggregate method percentile needs ${OBSERVATION_PERCENTILE} with a valueDecimal in (0, 100)`);
  return { from, to, unit, method, ...(method === 'percentile' ? { percentile: percentile! / 100 } : {}) };
}

/**
 * A population "followed by" another resource (a readmission): the extension names the shared
 * reference (`per`, e.g. Encounter.subject), this resource's date (`from`, Encounter.period.end),
 * the follow-up's date (`to`, Encounter.period.start) and the window (`within`, a Duration in
 * min, h or d); the population's criteria select the follow-ups. The member's `from` must be
 * followed by a follow-up's `to` strictly after it and within the window.
 */
function compileFollowedBy(ext: Extension, follows: Predicate[], where: string, basis: string, options: CompileOptions): Predicate {
  const part = (url: string) => ext.extension?.find((e) => e.url === url);
  const perPath = part('per')?.valueString ?? '';
  const per = options.search.registry.paramForPath(basis, perPath);
  if (per?.type !== 'reference') throw errors.badRequest(`${where}: ${FOLLOWED_BY} per '${perPath.slice(0, 80)}' is not a reference element of ${basis} indexed by a search parameter`);
  const from = dateParam(part('from')?.valueString ?? '', `${where} (from)`, basis, options);
  const to = dateParam(part('to')?.valueString ?? '', `${where} (to)`, basis, options);
  const within = part('within')?.valueDuration;
  const unit = DURATION_UNITS[within?.code ?? ''];
  if (!within || !(typeof within.value === 'number' && within.value > 0) || !unit) throw errors.badRequest(`${where}: ${FOLLOWED_BY} within must be a positive Duration in ${Object.keys(DURATION_UNITS).join(', ')}`);
  return { kind: 'followed', sourceType: basis, per: per.code, from, to, withinMs: within.value * unit.ms, where: follows };
}

/**
 * A population decided by the most recent of the member's resources (see the header): `among`
 * selects the candidates (`Type?query`), `per` is their reference to the member (e.g.
 * Observation.subject), `by` their date (Observation.effective); the population's own criteria
 * (`Type?query`) is what the most recent must satisfy. `orNone`: members with no candidate at all
 * belong too (CMS122: no HbA1c test in the period counts as poor control).
 */
function compileMostRecent(ext: Extension, language: string | undefined, expression: string | undefined, where: string, basis: string, options: CompileOptions): Predicate {
  const at = `${where}.extension`;
  const part = (url: string) => ext.extension?.find((e) => e.url === url);
  const amongText = part('among')?.valueString ?? '';
  const q = amongText.indexOf('?');
  const sourceType = q < 0 ? amongText : amongText.slice(0, q);
  if (!options.search.registry.resourceTypes.has(sourceType)) throw errors.badRequest(`${at}: ${MOST_RECENT} among '${amongText.slice(0, 80)}' must be an x-fhir-query Type?query naming a resource type`);
  const among = compileQuery('application/x-fhir-query', amongText, `${at} (among)`, sourceType, options);
  const perPath = part('per')?.valueString ?? '';
  const per = options.search.registry.paramForPath(sourceType, perPath);
  if (per?.type !== 'reference' || !per.targets.includes(basis)) throw errors.badRequest(`${at}: ${MOST_RECENT} per '${perPath.slice(0, 80)}' is not a reference element of ${sourceType} to ${basis} indexed by a search parameter`);
  const by = dateParam(part('by')?.valueString ?? '', `${at} (by)`, sourceType, options);
  const orNone = part('orNone')?.valueBoolean;
  if (orNone !== undefined && typeof orNone !== 'boolean') throw errors.badRequest(`${at}: ${MOST_RECENT} orNone must be a valueBoolean`);
  const condition = compileQuery(language, expression, `${where}.criteria`, sourceType, options);
  const latest: Predicate = { kind: 'latest', sourceType, per: per.code, by, among, where: condition };
  if (!orNone) return latest;
  return { kind: 'or', any: [latest, { kind: 'not', predicate: { kind: 'has', sourceType, param: per.code, where: among } }] };
}

/** A date element of the basis as the date search parameter indexing it (a Period's `.start` is the
 * start of the parameter indexing the Period). */
function dateParam(path: string, where: string, basis: string, options: CompileOptions): string {
  const { registry } = options.search;
  const direct = registry.paramForPath(basis, path);
  if (direct?.type === 'date') return direct.code;
  if (path.endsWith('.start')) {
    const period = registry.paramForPath(basis, path.slice(0, -'.start'.length));
    if (period?.type === 'date') return period.code;
  }
  throw errors.notSupported(`${where}: '${path.slice(0, 80)}' is not a date element of ${basis} indexed by a search parameter`);
}

function compileStratifier(language: string | undefined, expression: string | undefined, id: string | undefined, where: string, basis: string, options: CompileOptions): CompiledStratifier | undefined {
  if (language !== 'text/fhirpath') {
    if (options.storing) return undefined;
    throw errors.notSupported(`${where}: stratifier criteria must be text/fhirpath element paths (got '${language ?? '(no language)'}'; text/cql is not supported)`);
  }
  const path = (expression ?? '').trim();
  const base = id ? { id } : {};
  if (path === 'Patient.gender' || path === 'Patient.birthDate') {
    const kind = path === 'Patient.gender' ? 'gender' : 'age-band';
    const param = kind === 'gender' ? 'gender' : 'birthdate';
    if (basis === 'Patient') return { ...base, kind, param };
    const via = ['patient', 'subject'].find((p) => options.search.registry.param(basis, p)?.targets.includes('Patient'));
    if (!via) throw errors.notSupported(`${where}: ${basis} has no patient or subject reference to stratify by ${path}`);
    return { ...base, kind, param, via };
  }
  const param = options.search.registry.paramForPath(basis, path);
  const kind: StratifierKind | undefined = param?.type === 'token' ? 'token' : param?.type === 'reference' ? 'reference' : param?.type === 'date' ? 'month' : undefined;
  if (!param || !kind) throw errors.notSupported(`${where}: '${path.slice(0, 80)}' is not Patient.gender, Patient.birthDate or the path of a token, reference or date search parameter of ${basis}`);
  return { ...base, kind, param: param.code };
}

/** Checks the criteria of a Measure being stored: 400 naming the criteria that cannot be parsed. */
export function checkStoredMeasure(measure: Measure, search: SearchServices, baseUrl: string): void {
  compileMeasure(measure, { search, baseUrl, vars: { periodStart: '2000-01-01', periodEnd: '2000-12-31' }, storing: true });
}
