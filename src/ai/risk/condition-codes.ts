// Which ICD-10 codes a Condition stands for: its own ICD-10(-CM) codings, else the ICD-10 targets of
// its SNOMED CT codings (charlson-codes.ts). Scores built on ICD-10 definitions (Charlson, the
// CHA2DS2-VASc items) then read Conditions coded either way. A Condition refuted or entered in
// error is no diagnosis and is left out.
import type { Condition } from '@medplum/fhirtypes';
import { ICD10_SYSTEMS, SNOMED_SYSTEM, SNOMED_TO_ICD10 } from './charlson-codes';

export function icd10CodesOf(condition: Condition): string[] {
  const codings = condition.code?.coding ?? [];
  const direct = codings.filter((c) => c.code && ICD10_SYSTEMS.includes(c.system ?? '')).map((c) => c.code!);
  if (direct.length) return direct;
  return codings.filter((c) => c.system === SNOMED_SYSTEM && c.code && SNOMED_TO_ICD10[c.code]).map((c) => SNOMED_TO_ICD10[c.code!]);
}

const NOT_A_DIAGNOSIS = new Set(['refuted', 'entered-in-error']);

/** Diagnosed on or before `asOf` (onset, else recorded date; undated Conditions count). Resolved
 * diagnoses count too: the scores ask for a history of the disease (prior MI, prior stroke). */
export function diagnosedBy(condition: Condition, asOf: Date): boolean {
  if (condition.verificationStatus?.coding?.some((c) => NOT_A_DIAGNOSIS.has(c.code ?? ''))) return false;
  const when = condition.onsetDateTime ?? condition.onsetPeriod?.start ?? condition.recordedDate;
  return when === undefined || Date.parse(when) <= asOf.getTime();
}

/** ICD-10 code matches one of the stems (prefixes without the dot). */
export function matchesStem(code: string, stems: readonly string[]): boolean {
  const c = code.replace('.', '').toUpperCase();
  return stems.some((s) => c.startsWith(s));
}
