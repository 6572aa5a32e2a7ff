// patient-view: risk cards from validated scores (ai/risk/) on the chart being opened.
// - NEWS2 from vital signs of the last 24 hours (an early warning score is about now; older
//   observations are not an observation set), a card from low-medium risk up;
// - CHA2DS2-VASc for atrial fibrillation without an active oral anticoagulant, with the ESC 2020
//   thresholds (anticoagulation recommended from 2 in men and 3 in women; considered at 1 / 2);
// - the one overdue care measure this server knows: HbA1c in diabetes older than 6 months (the
//   interval of the ADA Standards of Care for patients meeting their goals; the shipped Measure
//   Measure-diabetes-hba1c-poor-control uses the same test). No other measure is checked, and the
//   service description says so.
import type { Condition, MedicationRequest, Observation, Patient } from '@medplum/fhirtypes';
import { ATRIAL_FIBRILLATION_STEMS, cha2ds2Vasc, CHA2DS2_VASC_MODEL } from '../risk/cha2ds2-vasc';
import { diagnosedBy, icd10CodesOf, matchesStem } from '../risk/condition-codes';
import { news2, NEWS2_MODEL, VITAL_SIGN_CODES, VITAL_SIGN_SYSTEM } from '../risk/news2';
import { InsufficientData, type PatientRecord, type VitalSign } from '../risk/score';
import type { CardInput } from './cards';
import type { HookData } from './data-source';
import { medicationConcept } from './medication-checks';
import type { DrugKnowledge } from './knowledge';

export const PATIENT_VIEW_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}',
  vitals: 'Observation?patient={{context.patientId}}&category=vital-signs&_sort=-date&_count=100',
  hba1c: 'Observation?patient={{context.patientId}}&code=http://loinc.org|4548-4&_sort=-date&_count=1',
  medications: 'MedicationRequest?patient={{context.patientId}}&status=active',
};

const DAY = 86_400_000;
const ESC_2020 = 'Hindricks G, Potpara T, Dagres N, et al. 2020 ESC Guidelines for the diagnosis and management of atrial fibrillation. Eur Heart J 2021;42(5):373-498';
const ADA = 'American Diabetes Association. 6. Glycemic Targets: Standards of Medical Care in Diabetes. Diabetes Care 2021;44(Suppl 1):S73-S84 (A1C at least twice a year in patients meeting treatment goals)';
const DIABETES_STEMS = ['E10', 'E11', 'E12', 'E13', 'E14'];

const effective = (o: Observation) => Date.parse(o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? '');
const hasCode = (o: Observation, codes: string[]) =>
  [...(o.code?.coding ?? []), ...(o.component ?? []).flatMap((c) => c.code?.coding ?? [])].some((c) => c.system === VITAL_SIGN_SYSTEM && codes.includes(c.code ?? ''));

/** The latest Observation of each NEWS2 parameter among those given. */
export function latestVitals(observations: Observation[], since: number, until: number): PatientRecord['vitals'] {
  const vitals: PatientRecord['vitals'] = {};
  for (const [sign, codes] of Object.entries(VITAL_SIGN_CODES) as Array<[VitalSign, string[]]>) {
    const candidates = observations.filter((o) => o.resourceType === 'Observation' && o.status !== 'entered-in-error' && hasCode(o, codes) && effective(o) >= since && effective(o) <= until);
    candidates.sort((a, b) => effective(b) - effective(a));
    if (candidates[0]) vitals[sign] = candidates[0];
  }
  return vitals;
}

export async function patientViewCards(data: HookData, patientId: string, now: Date, knowledge: DrugKnowledge, knowledgeUrl: string): Promise<CardInput[]> {
  const [patient] = (await data.get('patient')) as Patient[];
  const conditions = ((await data.get('conditions')) as Condition[]).filter((c) => c.resourceType === 'Condition');
  const record: PatientRecord = { patientId, birthDate: patient?.birthDate, gender: patient?.gender, asOf: now, conditions, encounters: [], vitals: {} };
  const cards: CardInput[] = [];

  record.vitals = latestVitals((await data.get('vitals')) as Observation[], now.getTime() - DAY, now.getTime());
  try {
    const score = news2(record);
    if (score.qualitative !== 'low') {
      const missing = score.missing.length ? ` Not recorded (the total is a lower bound): ${score.missing.join('; ')}.` : '';
      cards.push({
        topic: 'news2', ruleId: 'news2', indicator: score.qualitative === 'high' ? 'critical' : 'warning',
        summary: `NEWS2 ${score.points}${score.missing.length ? '+' : ''}: ${score.remarks[0].replace(/ \(RCP 2017, Chart 2\)$/, '')}`,
        detail: `${score.components.map((c) => `- ${c.name}: ${c.points} (${c.finding})`).join('\n')}\n\n${missing}\n\nSource: ${NEWS2_MODEL.source}`,
        sourceLabel: 'NEWS2 (Royal College of Physicians, 2017)', sourceUrl: `${knowledgeUrl}#news2`, overridable: true,
      });
    }
  } catch (e) {
    if (!(e instanceof InsufficientData)) throw e;
  }

  const current = conditions.filter((c) => diagnosedBy(c, now) && !c.clinicalStatus?.coding?.some((x) => ['resolved', 'inactive', 'remission'].includes(x.code ?? '')));
  const hasAf = current.some((c) => icd10CodesOf(c).some((code) => matchesStem(code, ATRIAL_FIBRILLATION_STEMS)));
  if (hasAf && patient) {
    const medications = ((await data.get('medications')) as MedicationRequest[]).filter((m) => m.resourceType === 'MedicationRequest' && m.status === 'active');
    const anticoagulated = medications.some((m) => knowledge.ingredientsOf(medicationConcept(m)).some((i) => knowledge.classesOf(i).includes('anticoagulant')));
    if (!anticoagulated) {
      const score = cha2ds2Vasc(record);
      const female = record.gender === 'female';
      const recommend = score.points >= (female ? 3 : 2);
      const consider = score.points === (female ? 2 : 1);
      if (recommend || consider) {
        cards.push({
          topic: 'stroke-prevention', ruleId: 'cha2ds2-vasc-no-anticoagulant', indicator: recommend ? 'warning' : 'info',
          summary: `Atrial fibrillation, CHA2DS2-VASc ${score.points} (${((score.probability ?? 0) * 100).toFixed(1)} %/yr stroke), no anticoagulant: ${recommend ? 'recommended' : 'consider'}`,
          detail: `${score.components.filter((c) => c.points).map((c) => `- ${c.name}: ${c.points}`).join('\n')}${score.missing.length ? `\n\nNot known: ${score.missing.join('; ')}.` : ''}\n\nNo active oral anticoagulant order was found. Oral anticoagulation is ${recommend ? 'recommended' : 'to be considered'} at this score (${ESC_2020}); assess bleeding risk.\n\nScore: ${CHA2DS2_VASC_MODEL.source}`,
          sourceLabel: 'CHA2DS2-VASc (Lip 2010) and 2020 ESC atrial fibrillation guidelines', sourceUrl: `${knowledgeUrl}#cha2ds2-vasc`, overridable: true,
        });
      }
    }
  }

  const diabetic = current.some((c) => icd10CodesOf(c).some((code) => matchesStem(code, DIABETES_STEMS)));
  if (diabetic) {
    const [last] = ((await data.get('hba1c')) as Observation[]).filter((o) => o.resourceType === 'Observation').sort((a, b) => effective(b) - effective(a));
    const when = last ? effective(last) : NaN;
    if (!last || now.getTime() - when > 182 * DAY) {
      cards.push({
        topic: 'overdue-measure', ruleId: 'hba1c-overdue', indicator: 'info',
        summary: last ? `HbA1c overdue: last measured ${new Date(when).toISOString().slice(0, 10)} (diabetes: at least every 6 months)` : 'HbA1c overdue: no HbA1c on record for this patient with diabetes',
        detail: `The patient has diabetes mellitus; ${last ? `the latest HbA1c (Observation/${last.id}) is more than 6 months old` : 'no HbA1c (LOINC 4548-4) is recorded'}.\n\nSource: ${ADA}`,
        sourceLabel: 'ADA Standards of Care: glycemic targets', sourceUrl: `${knowledgeUrl}#hba1c-overdue`, overridable: true,
      });
    }
  }
  return cards;
}
