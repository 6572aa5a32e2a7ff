// Observation $lastn (R4 observation-operation-lastn): the `max` most recent Observations per code
// per patient, as a searchset. The selection is one engine primitive, `latest` (SQLite: one
// window-function statement; MongoDB: indexed per-group queries), run through the caller's door;
// nothing but the answer is loaded into JavaScript.
import type { Bundle, BundleEntry, Observation, Resource } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { errors } from '../fhir/errors';
import { parseStoredJson } from '../fhir/json';
import { parseSearchQuery } from '../search/parse-query';
import type { SearchServices } from '../search/service';
import type { ResourceVersion } from '../storage/engine';

/** The search parameters R4's $lastn takes besides `max`. */
export const LASTN_SEARCH_PARAMETERS = ['patient', 'subject', 'category', 'code', 'date'];

export interface LastnRequest {
  max: number;
  /** Search parameters (name, possibly with a modifier, and value) restricting the Observations. */
  query: Array<[string, string]>;
  baseUrl: string;
}

export async function lastn(data: DataAccess, search: SearchServices, request: LastnRequest): Promise<ResourceVersion[]> {
  for (const [name] of request.query) {
    const base = name.split(':')[0];
    if (!LASTN_SEARCH_PARAMETERS.includes(base)) {
      throw errors.invalidParam(name, `is not a parameter of $lastn (it takes max and the search parameters ${LASTN_SEARCH_PARAMETERS.join(', ')})`);
    }
  }
  const parsed = parseSearchQuery(search.registry, request.query, {
    resourceTypes: ['Observation'],
    lenient: false,
    defaultCount: search.defaultCount,
    maxCount: search.maxCount,
    now: search.now(),
    baseUrl: request.baseUrl,
    terminology: search.terminology,
    systemLevel: false,
  });
  return data.latest({ resourceType: 'Observation', where: parsed.plan.where, groupBy: 'code', perReference: 'subject', orderBy: 'date', max: request.max });
}

/** Entries grouped as a reader expects: by subject, then code, most recent first. */
export function lastnBundle(found: ResourceVersion[], baseUrl: string, selfUrl: string): Bundle {
  const rows = found.map((v) => ({ v, r: parseStoredJson(v.json!) as Observation }));
  const key = (r: Observation) => [r.subject?.reference ?? '', r.code?.coding?.[0]?.system ?? '', r.code?.coding?.[0]?.code ?? r.code?.text ?? ''].join('\u0000');
  const when = (r: Observation) => r.effectiveDateTime ?? r.effectiveInstant ?? r.effectivePeriod?.end ?? r.effectivePeriod?.start ?? '';
  rows.sort((a, b) => (key(a.r) < key(b.r) ? -1 : key(a.r) > key(b.r) ? 1 : when(b.r).localeCompare(when(a.r)) || b.v.id.localeCompare(a.v.id)));
  const entry: BundleEntry[] = rows.map(({ v, r }) => ({ fullUrl: `${baseUrl}/Observation/${v.id}`, resource: r as Resource, search: { mode: 'match' } }));
  return { resourceType: 'Bundle', type: 'searchset', total: entry.length, link: [{ relation: 'self', url: selfUrl }], ...(entry.length ? { entry } : {}) };
}
