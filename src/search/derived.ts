// Search parameters of this server whose values no FHIRPath expression can compute, with the
// function that computes them. They are indexed on every write like any other parameter (create,
// update, delete, Bundles, import, $reindex, on both engines), which is how the record linker keeps
// its blocking keys in the database without a write path of its own.
import type { Patient } from '@medplum/fhirtypes';
import { patientBlockingKeys } from '../ai/matching/blocking-keys';
import type { Accessor } from './expression';

export const MATCH_KEY_URL = 'http://nimbus-fhir.org/fhir/SearchParameter/Patient-match-key';
export const MATCH_KEY_CODE = 'match-key';
/** The keys' token system: a search naming it can use the engines' value-list plans. */
export const MATCH_KEY_SYSTEM = 'http://nimbus-fhir.org/fhir/CodeSystem/match-key';

export interface DerivedSearchParameter {
  resourceType: 'SearchParameter';
  url: string;
  code: string;
  base: string[];
  type: 'token';
  expression?: string;
  name: string;
  status: 'active';
  description: string;
}

/** The record linker's blocking keys (ai/matching/blocking-keys.ts), as token codes. */
export const MATCH_KEY_PARAMETER: DerivedSearchParameter = {
  resourceType: 'SearchParameter',
  url: MATCH_KEY_URL,
  name: 'match-key',
  status: 'active',
  code: MATCH_KEY_CODE,
  base: ['Patient'],
  type: 'token',
  description:
    'Blocking keys of Patient/$match (computed by the server, not by an expression): fy:<family phonetic>:<birth year>, gd:<given phonetic>:<birth date>, fg:<family phonetic>:<given phonetic>, py:<postal code>:<birth year>, id:<system>|<value>.',
};

export const DERIVED_SEARCH_PARAMETERS: readonly DerivedSearchParameter[] = [MATCH_KEY_PARAMETER];

/** The accessor of a derived parameter, by canonical URL. */
export function derivedAccessor(url: string): Accessor | undefined {
  if (url !== MATCH_KEY_URL) return undefined;
  return (focus) =>
    focus.flatMap((tv) =>
      tv.type === 'Patient' && tv.value && typeof tv.value === 'object'
        ? patientBlockingKeys(tv.value as Patient).map((code) => ({ type: 'Coding', value: { system: MATCH_KEY_SYSTEM, code }, context: 'Coding' }))
        : [],
    );
}
