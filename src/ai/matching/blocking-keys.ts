// Blocking keys of a Patient: short strings two records of one person very likely share, stored
// in the database as the values of the server's `match-key` search parameter (search/derived.ts),
// so that $match reads only the patients sharing a key with the query instead of every patient.
// Each key combines two fields, so a block stays small as the store grows, and together they
// survive any single discrepancy the comparators tolerate (see docs/ai.md, "Blocking"):
//   fy:<family phonetic>:<birth year>       catches given-name nicknames and day/month swaps
//   gd:<given phonetic>:<birth date>        catches family-name typos and name changes
//   fg:<family phonetic>:<given phonetic>   catches wrong birth dates
//   py:<postal code>:<birth year>           catches changes of both names (e.g. on marriage)
//   id:<system>|<value>                     the same identifier
import type { Patient } from '@medplum/fhirtypes';
import { matchFeatures, type MatchFeatures } from './features';

/** Keys are indexed as token codes: bounded so that a hostile value cannot bloat the index. */
const MAX_KEY_LENGTH = 200;
const MAX_KEYS = 24;

export function blockingKeysOf(f: MatchFeatures): string[] {
  const keys = new Set<string>();
  const year = f.birth?.year;
  const fullDate = f.birth?.day !== undefined ? f.birthDate!.slice(0, 10) : undefined;
  const givenCode = f.givenCodes[0];
  for (const fc of f.familyCodes) {
    if (year !== undefined) keys.add(`fy:${fc}:${year}`);
    if (givenCode) keys.add(`fg:${fc}:${givenCode}`);
  }
  if (givenCode && fullDate) keys.add(`gd:${givenCode}:${fullDate}`);
  if (year !== undefined) for (const pc of f.postalCodes.slice(0, 2)) keys.add(`py:${pc}:${year}`);
  for (const i of f.identifiers) keys.add(`id:${i.system}|${i.value}`);
  return [...keys].filter((k) => k.length <= MAX_KEY_LENGTH).slice(0, MAX_KEYS);
}

export function patientBlockingKeys(patient: Patient): string[] {
  return blockingKeysOf(matchFeatures(patient));
}
