// LACE index for death or unplanned readmission within 30 days of discharge (van Walraven C, Dhalla
// IA, Bell C, et al. Derivation and validation of an index to predict early death or unplanned
// readmission after discharge from hospital to the community. CMAJ 2010;182(6):551-7), scored on
// the patient's most recent inpatient stay that ended by `asOf`:
//   L  length of stay = discharge date minus admission date, in days: <1 0, 1 1, 2 2, 3 3, 4-6 4,
//      7-13 5, >=14 7;
//   A  acute (emergent) admission 3;
//   C  Charlson comorbidity index (without age) 0-3 as is, >=4 5;
//   E  emergency department visits in the 6 months before admission, 0-3 as is, >=4 4 (the visit
//      that led to this admission is not counted).
// The paper reports no per-score probability formula we reproduce, so none is given; the risk
// groups are the usual reading of the index (>= 10 high, 5-9 moderate, < 5 low).
import type { Encounter } from '@medplum/fhirtypes';
import { charlsonComorbidities } from './charlson';
import { diagnosedBy } from './condition-codes';
import { InsufficientData, ref, type PatientRecord, type ScoreComponent, type ScoreResult } from './score';

export const LACE_MODEL = {
  code: 'lace',
  display: 'LACE index',
  outcome: 'Death or unplanned readmission within 30 days of discharge',
  source:
    'van Walraven C, Dhalla IA, Bell C, et al. Derivation and validation of an index to predict early death or unplanned readmission after discharge from hospital to the community. CMAJ 2010;182(6):551-7.',
};

const INPATIENT = new Set(['IMP', 'ACUTE', 'NONAC']);
const DAY = 86_400_000;
const SIX_MONTHS_MS = 182.5 * DAY;

export function losPoints(days: number): number {
  if (days < 1) return 0;
  if (days <= 3) return days;
  if (days <= 6) return 4;
  if (days <= 13) return 5;
  return 7;
}
export const comorbidityPoints = (charlsonIndex: number): number => (charlsonIndex >= 4 ? 5 : charlsonIndex);
export const emergencyVisitPoints = (visits: number): number => Math.min(4, visits);

/** Whole calendar days from admission date to discharge date (UTC dates of the period's ends). */
export function lengthOfStayDays(start: string, end: string): number {
  const day = (iso: string) => Math.floor(Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / DAY);
  return day(end) - day(start);
}

const classOf = (e: Encounter) => e.class?.code ?? '';
const startOf = (e: Encounter) => (e.period?.start ? Date.parse(e.period.start) : NaN);
const endOf = (e: Encounter) => (e.period?.end ? Date.parse(e.period.end) : NaN);

export function lace(record: PatientRecord): ScoreResult {
  const asOf = record.asOf.getTime();
  const stays = record.encounters
    .filter((e) => INPATIENT.has(classOf(e)) && e.status !== 'entered-in-error' && e.status !== 'cancelled' && endOf(e) <= asOf && startOf(e) <= endOf(e))
    .sort((a, b) => endOf(b) - endOf(a));
  const index = stays[0];
  if (!index) throw new InsufficientData('lace', ['inpatient Encounter (class IMP) with period.start and period.end on or before asOf']);
  const admitted = startOf(index);
  const stay = ref(index as { resourceType: string; id?: string });
  const components: ScoreComponent[] = [];
  const missing: string[] = [];

  const days = lengthOfStayDays(index.period!.start!, index.period!.end!);
  components.push({ name: 'Length of stay (L)', points: losPoints(days), finding: `length of stay ${days} days (${index.period!.start!.slice(0, 10)} to ${index.period!.end!.slice(0, 10)})`, basis: [stay] });

  const emergency = record.encounters.filter((e) => classOf(e) === 'EMER' && Number.isFinite(startOf(e)) && startOf(e) < admitted);
  // The ED visit that led to this admission: it ends at most a day before the admission starts.
  const leadingVisit = emergency.find((e) => admitted - (Number.isFinite(endOf(e)) ? endOf(e) : startOf(e)) <= DAY);
  const admitSource = index.hospitalization?.admitSource?.coding?.[0]?.code;
  if (admitSource !== undefined || leadingVisit) {
    const acute = admitSource === 'emd' || (admitSource === undefined && leadingVisit !== undefined);
    components.push({ name: 'Acuity of admission (A)', points: acute ? 3 : 0, finding: acute ? 'emergent admission' : `elective admission (admit source ${admitSource})`, basis: leadingVisit && acute ? [stay, ref(leadingVisit as { resourceType: string; id?: string })] : [stay] });
  } else missing.push('acuity of admission (Encounter.hospitalization.admitSource, or an emergency visit leading to it)');

  const conditions = record.conditions.filter((c) => diagnosedBy(c, new Date(endOf(index))));
  if (conditions.length) {
    const charlson = charlsonComorbidities(conditions, new Date(endOf(index)));
    components.push({ name: 'Comorbidity (C)', points: comorbidityPoints(charlson.points), finding: `Charlson comorbidity index ${charlson.points}${charlson.components.length ? `: ${charlson.components.map((c) => c.name).join(', ')}` : ''}`, basis: charlson.components.flatMap((c) => c.basis) });
  } else missing.push('any recorded Condition (the Charlson comorbidity index)');

  const prior = emergency.filter((e) => e !== leadingVisit && startOf(e) >= admitted - SIX_MONTHS_MS);
  components.push({ name: 'Emergency department visits (E)', points: emergencyVisitPoints(prior.length), finding: `${prior.length} emergency visits in the 6 months before admission`, basis: prior.map((e) => ref(e as { resourceType: string; id?: string })) });

  const points = components.reduce((s, c) => s + c.points, 0);
  return {
    model: LACE_MODEL,
    points,
    components,
    missing,
    inputs: 4,
    qualitative: points >= 10 ? 'high' : points >= 5 ? 'moderate' : 'low',
    remarks: [`index stay ${stay}`],
  };
}
