// What every validated score works on and answers: a patient's record as it stood at `asOf`
// (already read through the caller's access policy) in, points with the inputs that made them out.
// Scores are pure functions of this record, so the published worked examples test them directly.
import type { Condition, Encounter, Observation } from '@medplum/fhirtypes';

export interface PatientRecord {
  patientId: string;
  birthDate?: string;
  gender?: string;
  /** End of the assessed day: nothing recorded later is in the record. */
  asOf: Date;
  conditions: Condition[];
  encounters: Encounter[];
  /** The latest Observation per vital sign (see news2.ts for the codes), when one was found. */
  vitals: Partial<Record<VitalSign, Observation>>;
}

export type VitalSign = 'respiratoryRate' | 'oxygenSaturation' | 'supplementalOxygen' | 'systolicBloodPressure' | 'heartRate' | 'consciousness' | 'temperature';

/** One scored item: its points, and the resources it was read from. */
export interface ScoreComponent {
  name: string;
  points: number;
  /** What was found, for the rationale (e.g. `respiratory rate 22 /min`). */
  finding: string;
  basis: string[];
}

export type QualitativeRisk = 'negligible' | 'low' | 'moderate' | 'high';

export interface ScoreResult {
  model: RiskModelInfo;
  points: number;
  components: ScoreComponent[];
  /** Inputs the score needs that the record lacks; each is named in the answer, never scored as 0. */
  missing: string[];
  /** How many inputs the score uses (the confidence is (inputs - missing) / inputs). */
  inputs: number;
  qualitative: QualitativeRisk;
  /** Where the publication gives one: the probability of the outcome. */
  probability?: number;
  /** Extra lines for the rationale (e.g. how the probability was derived). */
  remarks: string[];
}

export interface RiskModelInfo {
  code: string;
  display: string;
  /** What is predicted, and over which time. */
  outcome: string;
  /** The source publication, in a citation a reader can look up. */
  source: string;
}

/** A score that cannot be computed at all: the record lacks what it needs (answered 422). */
export class InsufficientData extends Error {
  constructor(readonly model: string, readonly needed: string[]) {
    super(`${model} cannot be computed: the patient's record has no ${needed.join(', no ')}`);
  }
}

/** Whole years of age at `at` from a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD). */
export function ageAt(birthDate: string, at: Date): number {
  const [y, m = 1, d = 1] = birthDate.split('-').map(Number);
  let age = at.getUTCFullYear() - y;
  if (at.getUTCMonth() + 1 < m || (at.getUTCMonth() + 1 === m && at.getUTCDate() < d)) age--;
  return age;
}

export const ref = (r: { resourceType: string; id?: string }): string => `${r.resourceType}/${r.id}`;
