/**
 * MedicationRequests coded in RxNorm. Each chronic condition has a first-line regimen (chosen once
 * per patient, as a prescriber would), started at diagnosis and renewed about yearly; acute
 * problems get a short course. Penicillin-allergic patients are given a macrolide instead of
 * amoxicillin. Some combinations real prescribing produces (warfarin with ibuprofen for knee pain)
 * are left in on purpose: drug–drug interaction checks need something to find.
 */
import type { MedicationRequest } from '@medplum/fhirtypes';
import type { ConditionState } from './conditions';
import type { PatientContext } from './context';
import { ref } from './context';
import type { Visit } from './encounters';
import { concept, SYSTEM } from './terminology';
import { dateTime, DAY } from './time';

export interface Drug {
  rxnorm: string;
  display: string;
  dose: number;
  doseUnit: string;
  /** Times per day. */
  frequency: number;
  /** Days of supply for a short course; undefined for long-term use. */
  courseDays?: number;
}

const D = (rxnorm: string, display: string, dose: number, doseUnit: string, frequency: number, courseDays?: number): Drug =>
  ({ rxnorm, display, dose, doseUnit, frequency, courseDays });

export const DRUGS = {
  lisinopril: D('314076', 'lisinopril 10 MG Oral Tablet', 1, '{tbl}', 1),
  amlodipine: D('197361', 'amlodipine 5 MG Oral Tablet', 1, '{tbl}', 1),
  hydrochlorothiazide: D('310798', 'hydrochlorothiazide 25 MG Oral Tablet', 1, '{tbl}', 1),
  metformin: D('861007', 'metformin hydrochloride 500 MG Oral Tablet', 1, '{tbl}', 2),
  insulinGlargine: D('274783', 'insulin glargine', 20, '[IU]', 1),
  empagliflozin: D('1545653', 'empagliflozin', 10, 'mg', 1),
  atorvastatin: D('617310', 'atorvastatin 20 MG Oral Tablet', 1, '{tbl}', 1),
  simvastatin: D('36567', 'simvastatin', 20, 'mg', 1),
  furosemide: D('4603', 'furosemide', 40, 'mg', 1),
  carvedilol: D('20352', 'carvedilol', 6.25, 'mg', 2),
  apixaban: D('1364430', 'apixaban', 5, 'mg', 2),
  warfarin: D('11289', 'warfarin', 5, 'mg', 1),
  metoprolol: D('6918', 'metoprolol', 50, 'mg', 2),
  tiotropium: D('69120', 'tiotropium', 18, 'ug', 1),
  albuterol: D('435', 'albuterol', 2, '{puff}', 4),
  fluticasone: D('41126', 'fluticasone', 2, '{puff}', 2),
  sertraline: D('36437', 'sertraline', 50, 'mg', 1),
  levothyroxine: D('10582', 'levothyroxine', 75, 'ug', 1),
  ibuprofen: D('5640', 'ibuprofen', 400, 'mg', 3),
  acetaminophen: D('161', 'acetaminophen', 500, 'mg', 3),
  amoxicillin: D('723', 'amoxicillin', 500, 'mg', 3, 7),
  azithromycin: D('18631', 'azithromycin', 250, 'mg', 1, 5),
  nitrofurantoin: D('7454', 'nitrofurantoin', 100, 'mg', 2, 5),
  ibuprofenShort: D('5640', 'ibuprofen', 400, 'mg', 3, 10),
} as const;

type DrugName = keyof typeof DRUGS;

/** Candidate regimens per condition key with their weights; an empty regimen means no drug. */
const REGIMENS: Record<string, Array<[DrugName[], number]>> = {
  hypertension: [[['lisinopril'], 50], [['lisinopril', 'amlodipine'], 25], [['amlodipine'], 10], [['lisinopril', 'hydrochlorothiazide'], 15]],
  diabetes: [[['metformin'], 65], [['metformin', 'empagliflozin'], 18], [['metformin', 'insulinGlargine'], 12], [[], 5]],
  hyperlipidemia: [[['atorvastatin'], 55], [['simvastatin'], 20], [[], 25]],
  heartFailure: [[['furosemide', 'carvedilol'], 70], [['furosemide', 'carvedilol', 'lisinopril'], 30]],
  atrialFibrillation: [[['apixaban', 'metoprolol'], 60], [['warfarin', 'metoprolol'], 40]],
  copd: [[['tiotropium', 'albuterol'], 80], [['albuterol'], 20]],
  asthma: [[['albuterol'], 50], [['albuterol', 'fluticasone'], 50]],
  depression: [[['sertraline'], 70], [[], 30]],
  hypothyroidism: [[['levothyroxine'], 100]],
  osteoarthritis: [[['ibuprofen'], 45], [['acetaminophen'], 40], [[], 15]],
};

const ACUTE_COURSES: Record<string, Array<[DrugName[], number]>> = {
  pneumonia: [[['amoxicillin'], 100]],
  sinusitis: [[['amoxicillin'], 25], [[], 75]],
  pharyngitis: [[['amoxicillin'], 15], [[], 85]],
  uti: [[['nitrofurantoin'], 100]],
  sprain: [[['ibuprofenShort'], 80], [[], 20]],
  bronchitis: [[[], 100]],
};

export class MedicationPlan {
  private readonly regimen = new Map<string, DrugName[]>();
  private readonly lastIssued = new Map<string, number>();
  private readonly started = new Map<string, number>();
  private readonly latest = new Map<string, MedicationRequest>();

  constructor(private readonly ctx: PatientContext, private readonly penicillinAllergy: boolean) {}

  /** Time the first prescription for the condition was issued, if any (drives physiology). */
  treatedSince = (key: string): number | undefined => this.started.get(key);

  /** Starts or renews long-term drugs for the chronic conditions this visit deals with. */
  prescribeChronic(visit: Visit, conditions: readonly ConditionState[], renewalOnly: boolean): void {
    for (const c of conditions) {
      const key = c.definition.key;
      if (!REGIMENS[key] || c.onset > visit.start || (c.abatement !== undefined && c.abatement <= visit.start)) continue;
      const last = this.lastIssued.get(key);
      if (last === undefined && renewalOnly) continue;
      if (last !== undefined && visit.start - last < 330 * DAY) continue;
      let drugs = this.regimen.get(key);
      if (!drugs) {
        drugs = this.ctx.random.weighted(REGIMENS[key].map((x) => x[0]), REGIMENS[key].map((x) => x[1]));
        this.regimen.set(key, drugs);
      }
      if (drugs.length === 0) continue;
      if (!this.started.has(key)) this.started.set(key, visit.start);
      this.lastIssued.set(key, visit.start);
      drugs.forEach((name, i) => {
        const request = this.request(visit, DRUGS[name], c.id);
        this.latest.set(`${key}/${i}`, request);
      });
    }
  }

  prescribeAcute(visit: Visit, problem: string, conditionId: string): void {
    const options = ACUTE_COURSES[problem];
    if (!options) return;
    let drugs = this.ctx.random.weighted(options.map((x) => x[0]), options.map((x) => x[1]));
    if (this.penicillinAllergy) drugs = drugs.map((d) => (d === 'amoxicillin' ? 'azithromycin' : d));
    for (const name of drugs) this.request(visit, DRUGS[name], conditionId);
  }

  /**
   * Statuses are decided at the end: every renewal that was superseded is `completed`; the latest
   * one is `active` while the condition and the patient are, otherwise `stopped`.
   */
  finish(conditions: readonly ConditionState[]): void {
    for (const [slot, request] of this.latest) {
      const key = slot.split('/')[0];
      const condition = conditions.find((c) => c.definition.key === key);
      const resolved = condition?.abatement !== undefined && condition.abatement <= this.ctx.now;
      request.status = this.ctx.death !== undefined || resolved ? 'stopped' : 'active';
    }
  }

  private request(visit: Visit, drug: Drug, conditionId: string): MedicationRequest {
    const ctx = this.ctx;
    const perDay = drug.frequency;
    const supplyDays = drug.courseDays ?? 90;
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      id: ctx.nextId('medreq'),
      // Long-term renewals start as completed and the latest is reopened by finish().
      status: 'completed',
      intent: 'order',
      category: [concept(SYSTEM.medicationRequestCategory, drug.courseDays ? 'outpatient' : 'community', drug.courseDays ? 'Outpatient' : 'Community')],
      medicationCodeableConcept: concept(SYSTEM.rxnorm, drug.rxnorm, drug.display, drug.display),
      subject: ctx.patientRef,
      encounter: ref('Encounter', visit.id),
      authoredOn: dateTime(visit.start + 30 * 60_000),
      requester: ref('Practitioner', visit.clinician.practitionerId),
      reasonReference: [ref('Condition', conditionId)],
      dosageInstruction: [{
        sequence: 1,
        text: `${drug.dose} ${drug.doseUnit.replace(/[{}[\]]/g, '')} ${perDay === 1 ? 'once' : `${perDay} times`} a day${drug.courseDays ? ` for ${drug.courseDays} days` : ''}`,
        timing: { repeat: { frequency: perDay, period: 1, periodUnit: 'd', ...(drug.courseDays ? { boundsDuration: { value: drug.courseDays, unit: 'd', system: SYSTEM.ucum, code: 'd' } } : {}) } },
        doseAndRate: [{ doseQuantity: { value: drug.dose, unit: drug.doseUnit, system: SYSTEM.ucum, code: drug.doseUnit } }],
      }],
      dispenseRequest: {
        numberOfRepeatsAllowed: drug.courseDays ? 0 : 3,
        expectedSupplyDuration: { value: supplyDays, unit: 'days', system: SYSTEM.ucum, code: 'd' },
      },
    };
    return ctx.add(request);
  }
}
