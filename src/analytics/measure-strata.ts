// Measure stratifiers (compiled in measure-criteria.ts), counted in the database. The strata of a
// group are the values found in its initial population: token codes, reference targets and
// months (of the date parameter's start, UTC) from one `aggregate` over it; genders and age bands
// (at the end of the period) are fixed lists. Each population's count per stratum is one more
// `aggregate` (token, reference, month: every stratum at once) or one count per stratum (gender,
// age band, through a chain to the patient unless the basis is Patient).
import type { CodeableConcept } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import type { Predicate } from '../search/plan';
import type { AggregateGroup, AggregateQuery } from '../storage/engine';
import type { CompiledStratifier } from './measure-criteria';
import { AGE_BANDS, agePredicates, GENDERS } from './strata';

export interface Stratum {
  key: string;
  value: CodeableConcept;
  /** Predicates over the basis selecting the stratum's members. */
  where: Predicate[];
}

function groupBy(s: CompiledStratifier): AggregateQuery['groupBy'] | undefined {
  if (s.kind === 'token' || s.kind === 'reference') return { param: s.param, kind: s.kind };
  if (s.kind === 'month') return { param: s.param, kind: 'date', bucket: 'month' };
  return undefined;
}

function groupKey(s: CompiledStratifier, g: AggregateGroup['key']): string {
  if (s.kind === 'token') return `${g.system ?? ''}|${g.code}`;
  if (s.kind === 'reference') return g.url ?? `${g.type}/${g.id}`;
  return g.value!;
}

/** The basis resources whose date parameter starts within the UTC month `YYYY-MM`. */
function monthPredicates(param: string, month: string): Predicate[] {
  const [y, m] = month.split('-').map(Number);
  const start = Date.UTC(y, m - 1, 1);
  const end = Date.UTC(y, m, 1);
  return [
    { kind: 'not', predicate: { kind: 'range', valueKind: 'date', param, prefix: 'lt', low: start, high: start + 1 } },
    { kind: 'range', valueKind: 'date', param, prefix: 'lt', low: end, high: end + 1 },
  ];
}

function stratumOf(s: CompiledStratifier, g: AggregateGroup['key']): Stratum {
  const key = groupKey(s, g);
  if (s.kind === 'token') return { key, value: { coding: [{ ...(g.system ? { system: g.system } : {}), code: g.code! }] }, where: [{ kind: 'token', param: s.param, system: g.system ?? null, code: g.code! }] };
  if (s.kind === 'reference') return { key, value: { text: key }, where: [g.url ? { kind: 'reference', param: s.param, url: g.url } : { kind: 'reference', param: s.param, type: g.type, id: g.id }] };
  return { key, value: { text: key }, where: monthPredicates(s.param, key) };
}

/** Predicates on the patient, applied to the basis (directly, or through its patient reference). */
function onPatient(s: CompiledStratifier, where: Predicate[]): Predicate[] {
  return s.via ? [{ kind: 'chain', param: s.via, targetTypes: ['Patient'], where }] : where;
}

/** The strata of `population` (the initial population); for token, reference and month
 * stratifiers also the population's count per stratum, from the same aggregate. */
export async function strataOf(data: DataAccess, basis: string, population: Predicate[], s: CompiledStratifier, periodEnd: Date): Promise<{ strata: Stratum[]; counts?: Map<string, number> }> {
  if (s.kind === 'gender') return { strata: GENDERS.map((g) => ({ key: g, value: { coding: [{ system: 'http://hl7.org/fhir/administrative-gender', code: g }] }, where: onPatient(s, [{ kind: 'token', param: 'gender', code: g }]) })) };
  if (s.kind === 'age-band') return { strata: AGE_BANDS.map((b) => ({ key: b.label, value: { text: b.label }, where: onPatient(s, agePredicates(b, periodEnd)) })) };
  const found = await data.aggregate({ resourceTypes: [basis], where: population, groupBy: groupBy(s)! });
  return {
    strata: found.groups.map((g) => stratumOf(s, g.key)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    counts: new Map(found.groups.map((g) => [groupKey(s, g.key), g.count])),
  };
}

/** The number of resources of `population` in each stratum. */
export async function countsByStratum(data: DataAccess, basis: string, population: Predicate[], s: CompiledStratifier, strata: Stratum[]): Promise<Map<string, number>> {
  const by = groupBy(s);
  if (by) {
    const found = await data.aggregate({ resourceTypes: [basis], where: population, groupBy: by });
    return new Map(found.groups.map((g) => [groupKey(s, g.key), g.count]));
  }
  const out = new Map<string, number>();
  for (const stratum of strata) {
    const result = await data.search({ resourceTypes: [basis], where: [...population, ...stratum.where], sort: [], count: 0, total: 'accurate', include: [], revinclude: [] });
    out.set(stratum.key, result.total ?? 0);
  }
  return out;
}
