/**
 * Vital signs, laboratory results, survey scores and smoking status, all LOINC-coded with UCUM
 * units, recorded at the visits they belong to.
 *
 * Selectivity (what the benchmark's search-by-code queries rely on): three codes are reserved and
 * emitted only through `SelectivityLedger`, which keeps each at an exact share of all Observations:
 *   rare      LOINC 10839-9 Troponin I (cardiac)      0.2 %  — preferably at emergency visits
 *   uncommon  LOINC 3016-3  TSH                       2 %    — preferably hypothyroidism follow-ups
 *   common    LOINC 9279-1  Respiratory rate          5 %    — at visits that record vital signs
 * The ledger carries any shortfall from patient to patient, so over any prefix of patients each
 * share is exact to within one Observation; the codes never appear elsewhere in the output.
 */
import type { CodeableConcept, Observation } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import type { Visit } from './encounters';
import type { Physiology } from './physiology';
import { round1 } from './physiology';
import { concept, loinc, SYSTEM } from './terminology';
import { dateTime, HOUR, MINUTE } from './time';

export const SELECTIVITY_CODES = {
  rare: { system: SYSTEM.loinc, code: '10839-9', display: 'Troponin I.cardiac [Mass/volume] in Serum or Plasma', share: 0.002 },
  uncommon: { system: SYSTEM.loinc, code: '3016-3', display: 'Thyrotropin [Units/volume] in Serum or Plasma', share: 0.02 },
  common: { system: SYSTEM.loinc, code: '9279-1', display: 'Respiratory rate', share: 0.05 },
} as const;

type Category = 'vital-signs' | 'laboratory' | 'survey' | 'social-history';
const CATEGORY_DISPLAY: Record<Category, string> = { 'vital-signs': 'Vital Signs', laboratory: 'Laboratory', survey: 'Survey', 'social-history': 'Social History' };

interface Range { low: number; high: number }

function base(ctx: PatientContext, visit: Visit, category: Category, code: CodeableConcept, at: number): Observation {
  return {
    resourceType: 'Observation',
    id: ctx.nextId('obs'),
    status: 'final',
    category: [concept(SYSTEM.observationCategory, category, CATEGORY_DISPLAY[category])],
    code,
    subject: ctx.patientRef,
    encounter: ref('Encounter', visit.id),
    effectiveDateTime: dateTime(at),
    ...(category === 'laboratory' ? { issued: dateTime(at + 4 * HOUR) } : {}),
    performer: [ref('Practitioner', visit.clinician.practitionerId)],
  };
}

function quantity(ctx: PatientContext, visit: Visit, category: Category, code: [string, string], value: number, unit: string, at: number, range?: Range): Observation {
  const obs = base(ctx, visit, category, loinc(code[0], code[1]), at);
  obs.valueQuantity = { value, unit, system: SYSTEM.ucum, code: unit };
  if (range) {
    const flag = value < range.low ? ['L', 'Low'] : value > range.high ? ['H', 'High'] : ['N', 'Normal'];
    obs.interpretation = [concept(SYSTEM.interpretation, flag[0], flag[1])];
    obs.referenceRange = [{ low: { value: range.low, unit, system: SYSTEM.ucum, code: unit }, high: { value: range.high, unit, system: SYSTEM.ucum, code: unit } }];
  }
  return ctx.add(obs);
}

/** Vital signs taken by the nurse at the start of a visit. */
export function recordVitals(ctx: PatientContext, visit: Visit, phys: Physiology, at: number, options: { height: boolean; temperature: boolean; spo2: boolean }): void {
  const r = ctx.random;
  const [sbp, dbp] = phys.bloodPressure(at, r.normal(0, 6));
  const bp = base(ctx, visit, 'vital-signs', loinc('85354-9', 'Blood pressure panel with all children optional'), at);
  bp.component = [
    { code: loinc('8480-6', 'Systolic blood pressure'), valueQuantity: { value: sbp, unit: 'mm[Hg]', system: SYSTEM.ucum, code: 'mm[Hg]' } },
    { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: { value: dbp, unit: 'mm[Hg]', system: SYSTEM.ucum, code: 'mm[Hg]' } },
  ];
  ctx.add(bp);
  quantity(ctx, visit, 'vital-signs', ['8867-4', 'Heart rate'], phys.heartRate(at, r.normal(0, 8)), '/min', at);
  const weight = round1(phys.weightKg(at, r.normal(0, 0.8)));
  quantity(ctx, visit, 'vital-signs', ['29463-7', 'Body weight'], weight, 'kg', at);
  if (options.height) {
    const height = round1(phys.heightCm(at) + r.normal(0, 0.5));
    quantity(ctx, visit, 'vital-signs', ['8302-2', 'Body height'], height, 'cm', at);
    if (phys.age(at) >= 2) quantity(ctx, visit, 'vital-signs', ['39156-5', 'Body mass index (BMI) [Ratio]'], round1(weight / (height / 100) ** 2), 'kg/m2', at);
  }
  if (options.temperature) quantity(ctx, visit, 'vital-signs', ['8310-5', 'Body temperature'], phys.temperature(r.normal(0, 1), visit.focus.some((f) => FEBRILE.has(f))), 'Cel', at);
  if (options.spo2) quantity(ctx, visit, 'vital-signs', ['2708-6', 'Oxygen saturation in Arterial blood'], phys.spo2(at, r.normal(0, 1)), '%', at);
}

const FEBRILE = new Set(['pneumonia', 'bronchitis', 'pharyngitis', 'uti', 'sinusitis', 'gastroenteritis']);

export type LabPanel = 'metabolic' | 'renal' | 'hemoglobin' | 'diabetes' | 'lipids' | 'heartFailure';

/** Lab results drawn at a visit (blood taken 20 minutes after the visit starts). */
export function recordLabs(ctx: PatientContext, visit: Visit, phys: Physiology, start: number, panels: Iterable<LabPanel>): void {
  const r = ctx.random;
  const at = start + 20 * MINUTE;
  const female = ctx.sex === 'female';
  for (const panel of new Set(panels)) {
    switch (panel) {
      case 'diabetes':
        quantity(ctx, visit, 'laboratory', ['4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'], phys.hba1c(at, r.normal(0, 1)), '%', at, { low: 4, high: 5.6 });
        quantity(ctx, visit, 'laboratory', ['2345-7', 'Glucose [Mass/volume] in Serum or Plasma'], phys.glucose(at, r.normal(0, 1)), 'mg/dL', at, { low: 70, high: 99 });
        break;
      case 'metabolic':
      case 'renal': {
        // A metabolic panel is the renal markers plus glucose.
        if (panel === 'metabolic') quantity(ctx, visit, 'laboratory', ['2345-7', 'Glucose [Mass/volume] in Serum or Plasma'], phys.glucose(at, r.normal(0, 1)), 'mg/dL', at, { low: 70, high: 99 });
        const creatinine = phys.creatinine(at, r.normal(0, 1));
        quantity(ctx, visit, 'laboratory', ['2160-0', 'Creatinine [Mass/volume] in Serum or Plasma'], creatinine, 'mg/dL', at, female ? { low: 0.5, high: 1.1 } : { low: 0.7, high: 1.3 });
        quantity(ctx, visit, 'laboratory', ['98979-8', 'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)'], phys.egfr(at, creatinine), 'mL/min/{1.73_m2}', at, { low: 60, high: 200 });
        quantity(ctx, visit, 'laboratory', ['2823-3', 'Potassium [Moles/volume] in Serum or Plasma'], phys.potassium(at, r.normal(0, 1)), 'mmol/L', at, { low: 3.5, high: 5.1 });
        break;
      }
      case 'hemoglobin':
        quantity(ctx, visit, 'laboratory', ['718-7', 'Hemoglobin [Mass/volume] in Blood'], phys.hemoglobin(at, r.normal(0, 1)), 'g/dL', at, female ? { low: 12, high: 15.5 } : { low: 13.5, high: 17.5 });
        break;
      case 'lipids':
        quantity(ctx, visit, 'laboratory', ['18262-6', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay'], phys.ldl(at, r.normal(0, 1)), 'mg/dL', at, { low: 0, high: 129 });
        break;
      case 'heartFailure':
        quantity(ctx, visit, 'laboratory', ['33762-6', 'Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma'], phys.ntProBnp(at, r.normal(0, 1)), 'pg/mL', at, { low: 0, high: 125 });
        break;
    }
  }
}

export function recordPhq9(ctx: PatientContext, visit: Visit, phys: Physiology, at: number): void {
  const obs = base(ctx, visit, 'survey', loinc('44261-6', 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]'), at);
  obs.valueInteger = phys.phq9(at, ctx.random.normal(0, 1));
  ctx.add(obs);
}

const SMOKING: Record<string, [string, string]> = {
  current: ['449868002', 'Smokes tobacco daily'],
  former: ['8517006', 'Ex-smoker'],
  never: ['266919005', 'Never smoked tobacco'],
};

export function recordSmokingStatus(ctx: PatientContext, visit: Visit, status: string, at: number): void {
  const obs = base(ctx, visit, 'social-history', loinc('72166-2', 'Tobacco smoking status'), at);
  const [code, display] = SMOKING[status];
  obs.valueCodeableConcept = concept(SYSTEM.snomed, code, display, display);
  ctx.add(obs);
}

type SelectivityLevel = keyof typeof SELECTIVITY_CODES;
const LEVELS: readonly SelectivityLevel[] = ['rare', 'uncommon', 'common'];
const TOTAL_SHARE = LEVELS.reduce((s, l) => s + SELECTIVITY_CODES[l].share, 0);

/** Keeps the three reserved codes at their exact shares across the whole run (see module header). */
export class SelectivityLedger {
  private readonly owed: Record<SelectivityLevel, number> = { rare: 0, uncommon: 0, common: 0 };

  /** Adds this patient's reserved-code Observations, given its visits and other Observations. */
  settle(ctx: PatientContext, phys: Physiology, visits: readonly Visit[], otherObservations: number): void {
    // n/(other + all reserved) = share  ⇔  n = share·other/(1 − Σ shares)
    for (const level of LEVELS) {
      this.owed[level] += (SELECTIVITY_CODES[level].share * otherObservations) / (1 - TOTAL_SHARE);
      const wanted = Math.floor(this.owed[level] + 1e-9);
      const chosen = rankVisits(ctx, visits, level).slice(0, wanted);
      for (const visit of chosen) this.emit(ctx, phys, visit, level);
      this.owed[level] -= chosen.length;
    }
  }

  private emit(ctx: PatientContext, phys: Physiology, visit: Visit, level: SelectivityLevel): void {
    const r = ctx.random;
    const at = visit.start + 25 * MINUTE;
    const c = SELECTIVITY_CODES[level];
    if (level === 'common') {
      quantity(ctx, visit, 'vital-signs', [c.code, c.display], phys.respiratoryRate(at, r.normal(0, 1), visit.focus), '/min', at);
    } else if (level === 'uncommon') {
      quantity(ctx, visit, 'laboratory', [c.code, c.display], phys.tsh(at, r.normal(0, 1)), 'm[IU]/L', at, { low: 0.4, high: 4.0 });
    } else {
      // Most troponins are negative; chest pain and heart failure make a raised one more likely.
      const cardiac = visit.focus.includes('chestPain') || visit.focus.includes('heartFailure');
      const value = r.chance(cardiac ? 0.2 : 0.03) ? Math.round(r.uniform(0.05, 3) * 100) / 100 : Math.round(r.uniform(0, 0.03) * 1000) / 1000;
      quantity(ctx, visit, 'laboratory', [c.code, c.display], value, 'ng/mL', at, { low: 0, high: 0.04 });
    }
  }
}

/** Orders visits by how clinically apt the reserved code is there; ties broken by the stream. */
function rankVisits(ctx: PatientContext, visits: readonly Visit[], level: SelectivityLevel): Visit[] {
  const scored = visits.map((v) => {
    let score = ctx.random.next();
    if (level === 'rare') score += v.kind === 'emergency' ? (v.focus.includes('chestPain') ? 3 : 2) : v.focus.includes('heartFailure') ? 1 : 0;
    else if (level === 'uncommon') score += v.focus.includes('hypothyroidism') ? 2 : v.kind === 'wellness' ? 1 : 0;
    else score += v.kind === 'emergency' || v.kind === 'inpatient' || v.kind === 'sick' ? 1 : 0;
    return { v, score };
  });
  scored.sort((a, b) => b.score - a.score);
  return scored.map((s) => s.v);
}
