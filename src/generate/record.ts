/**
 * Builds one patient's longitudinal record: demographics, problems, then the visits in time order,
 * each with what a clinician would document there (vitals, labs, diagnoses, prescriptions, orders,
 * feedback), then the reserved selectivity codes and the final Condition statuses.
 */
import type { Resource } from '@medplum/fhirtypes';
import { recordAllergies } from './allergies';
import type { ConditionState } from './conditions';
import { ACUTE, conditionResource, sampleChronicConditions, sampleSmoking } from './conditions';
import { PatientContext } from './context';
import type { Visit } from './encounters';
import { encounterResource } from './encounters';
import { recordFeedback } from './feedback';
import { recordImmunizations } from './immunizations';
import { MedicationPlan } from './medications';
import type { LabPanel, SelectivityLedger } from './observations';
import { recordLabs, recordPhq9, recordSmokingStatus, recordVitals } from './observations';
import type { Directory } from './organizations';
import { duplicatePatient, patientResource, sampleDemographics, type DuplicateKind } from './patients';
import { Physiology } from './physiology';
import { BEDSIDE, recordProcedure, refer, waitingListOrder } from './procedures';
import { Random } from './random';
import { readmissionAfter, READMISSION_EFFECTS } from './readmission';
import { bookVisit, NO_SHOW_EFFECTS, type AttendanceHistory } from './scheduling';
import { ageAt, DAY, HOUR, MINUTE, YEAR } from './time';
import { planVisits, type VisitPlan } from './visits';

export interface DuplicateTruth {
  a: string;
  b: string;
  kind: DuplicateKind;
}

export interface PatientRecord {
  resources: Resource[];
  duplicate?: DuplicateTruth;
}

export interface RecordSettings {
  seed: number;
  now: number;
  years: number;
  directory: Directory;
  ledger: SelectivityLedger;
}

/**
 * Whether person `index` also has a second registration. Three or four people in every block of a
 * hundred (3.5 % on average) are picked by a per-block stream, so any run of 100+ patients has a
 * 2–5 % duplicate share, not just on average over many seeds.
 */
export function hasDuplicate(seed: number, index: number): boolean {
  const block = Math.floor((index - 1) / 100);
  const random = new Random('duplicates', seed, block);
  const count = random.chance(0.5) ? 3 : 4;
  const picked = new Set<number>();
  while (picked.size < count) picked.add(block * 100 + random.int(1, 100));
  return picked.has(index);
}

export function buildPatientRecord(index: number, s: RecordSettings): PatientRecord {
  const ctx = new PatientContext(index, new Random('patient', s.seed, index), s.directory, s.now, s.now - s.years * YEAR, s.seed);
  const r = ctx.random;
  const demographics = sampleDemographics(ctx);
  const ageNow = ageAt(ctx.birth, ctx.now);
  const smoking = sampleSmoking(r, ageNow);
  const sampled = sampleChronicConditions(ctx, ageNow, smoking);
  decideDeath(ctx, sampled);
  const chronic = sampled.filter((c) => c.onset <= ctx.end);
  const patient = ctx.add(patientResource(ctx, demographics));

  const penicillinAllergy = recordAllergies(ctx);
  const meds = new MedicationPlan(ctx, penicillinAllergy);
  const phys = new Physiology(ctx, chronic, meds.treatedSince);
  const acute: ConditionState[] = [];
  const visits: Visit[] = [];
  // The attendance habit has a stream of its own, so drawing it shifts no other part of the record.
  const attendance: AttendanceHistory = { noShows: [], habit: new Random('attendance-habit', s.seed, index).normal(0, NO_SHOW_EFFECTS.habitSd) };
  const lastReferral = new Map<string, number>();
  let firstVisit = true;

  // A patient's own frailty (hidden) raises their chance of readmission; a stream of its own.
  const readmissionRandom = new Random('readmission', s.seed, index);
  const frailty = readmissionRandom.normal(0, READMISSION_EFFECTS.frailtySd);
  const plans = planVisits(ctx, chronic);
  for (let p = 0; p < plans.length; p++) {
    const plan = plans[p];
    const visit = attend(ctx, plan, attendance);
    if (!visit) continue;
    visits.push(visit);
    if (visit.kind === 'inpatient' && !visit.diedDuring) {
      const again = readmissionAfter(ctx, visit, plan, visits, chronic, frailty, readmissionRandom);
      // Into the queue in time order; plans after the end of the record are dropped by attend().
      if (again) {
        const at = plans.findIndex((x, i) => i > p && x.at > again.at);
        plans.splice(at === -1 ? plans.length : at, 0, again);
      }
    }
    const encounter = ctx.add(encounterResource(ctx, visit));
    const age = phys.age(visit.start);

    // Conditions become part of the record at the first visit after onset (normally the diagnosis visit).
    for (const c of chronic) {
      if (c.recorded === undefined && (c.onset < ctx.start || c.onset + 7 * DAY <= visit.start)) {
        c.recorded = c.onset < ctx.start ? c.onset + DAY : visit.start;
        if (c.onset >= ctx.start) {
          c.encounterId = visit.id;
          c.recorderId = visit.clinician.practitionerId;
        }
      }
    }
    const known = chronic.filter((c) => c.recorded !== undefined);
    visit.reasonIds = plan.conditions.filter((c) => c.recorded !== undefined).map((c) => c.id);

    const hospital = visit.kind === 'inpatient' || visit.kind === 'emergency';
    const acuteKey = ACUTE.find((a) => plan.focus.includes(a.key));
    const measuredAt = visit.start + 5 * MINUTE;
    recordVitals(ctx, visit, phys, measuredAt, {
      height: age < 18 || firstVisit || (visit.kind === 'wellness' && r.chance(0.5)),
      temperature: visit.kind === 'sick' || hospital,
      spo2: visit.kind === 'sick' || hospital || plan.focus.includes('copd') || plan.focus.includes('heartFailure'),
    });
    // Inpatients get a further set of vitals on each following day of the stay (up to four).
    if (visit.kind === 'inpatient') {
      for (let day = 1; day < Math.min(5, (visit.end - visit.start) / DAY); day++) {
        recordVitals(ctx, visit, phys, visit.start + day * DAY, { height: false, temperature: true, spo2: true });
      }
    }
    firstVisit = false;

    const panels: LabPanel[] = [];
    if (visit.kind === 'wellness' && age >= 18) {
      if (r.chance(age >= 40 ? 0.7 : 0.4)) panels.push('metabolic');
      if (r.chance(0.35)) panels.push('hemoglobin');
      if (age >= 35 && r.chance(0.35)) panels.push('lipids');
      // Diabetes screening by HbA1c from 35 (ADA), so non-diabetic HbA1c values exist too.
      if (age >= 35 && r.chance(0.15)) panels.push('diabetes');
    }
    for (const key of plan.focus) {
      if (key === 'diabetes') panels.push('diabetes', ...(r.chance(0.5) ? ['renal' as const] : []));
      if (key === 'hypertension' && r.chance(0.4)) panels.push('renal');
      if (key === 'ckd') panels.push('renal', 'hemoglobin');
      if (key === 'hyperlipidemia' && r.chance(0.6)) panels.push('lipids');
      if (key === 'heartFailure') panels.push('renal', ...(r.chance(0.6) ? ['heartFailure' as const] : []));
    }
    if (hospital && r.chance(0.75)) panels.push('metabolic', 'hemoglobin');
    recordLabs(ctx, visit, phys, visit.start, panels);

    if (visit.kind === 'wellness' && age >= 15) recordSmokingStatus(ctx, visit, smoking, measuredAt);
    if (plan.focus.includes('depression') || (visit.kind === 'wellness' && age >= 12 && r.chance(0.25))) {
      recordPhq9(ctx, visit, phys, visit.start + 10 * MINUTE);
      if (visit.kind === 'wellness') recordProcedure(ctx, visit, BEDSIDE.depressionScreening, visit.start + 10 * MINUTE, visit.start + 20 * MINUTE);
    }

    if (acuteKey) {
      const problem: ConditionState = { definition: acuteKey, id: ctx.nextId('cond'), onset: visit.start - r.int(1, 5) * DAY, abatement: visit.start + acuteKey.weeks * 7 * DAY, recorded: visit.start, encounterId: visit.id, recorderId: visit.clinician.practitionerId };
      acute.push(problem);
      visit.reasonIds = [problem.id];
      meds.prescribeAcute(visit, acuteKey.key, problem.id);
      if (acuteKey.key === 'chestPain') recordProcedure(ctx, visit, BEDSIDE.ecg, visit.start + 15 * MINUTE, visit.start + 25 * MINUTE, problem.id);
      if (acuteKey.key === 'pneumonia') recordProcedure(ctx, visit, BEDSIDE.chestXray, visit.start + 40 * MINUTE, visit.start + HOUR, problem.id);
    }
    // The reasons are known only now (the visit's problem Conditions): the Encounter names them.
    if (visit.reasonIds.length) encounter.reasonReference = visit.reasonIds.map((id) => ({ reference: `Condition/${id}` }));
    meds.prescribeChronic(visit, known, visit.kind === 'emergency');

    // Referrals: screening at check-ups, work-up at diagnosis, surgery for advanced knee arthritis.
    const referIf = (kind: Parameters<typeof refer>[2], minYears: number, p: number, reasonId?: string) => {
      const last = lastReferral.get(kind);
      if ((last === undefined || visit.start - last > minYears * YEAR) && r.chance(p)) {
        lastReferral.set(kind, visit.start);
        refer(ctx, visit, kind, reasonId);
      }
    };
    if (visit.kind === 'wellness' && age >= 50 && age < 75) referIf('colonoscopy', 10, 0.15);
    if (visit.kind === 'wellness' && ctx.sex === 'female' && age >= 50 && age < 75) referIf('mammography', 2, 0.6);
    for (const c of plan.conditions) {
      const key = c.definition.key;
      if (key === 'heartFailure') referIf('echocardiography', 2, visit.kind === 'diagnosis' ? 0.9 : 0.3, c.id);
      if ((key === 'copd' || key === 'asthma') && visit.kind === 'diagnosis') referIf('spirometry', 3, 0.8, c.id);
      if (key === 'atrialFibrillation' && visit.kind === 'diagnosis') recordProcedure(ctx, visit, BEDSIDE.ecg, visit.start + 10 * MINUTE, visit.start + 20 * MINUTE, c.id);
      if (key === 'osteoarthritis' && age >= 55) referIf('kneeReplacement', 50, 0.06, c.id);
    }
    if (visit.appointmentId && r.chance(0.15)) recordFeedback(ctx, visit);
  }

  recordImmunizations(ctx);
  meds.finish(chronic);
  const observations = ctx.resources.reduce((n, res) => n + (res.resourceType === 'Observation' ? 1 : 0), 0);
  s.ledger.settle(ctx, phys, visits, observations);
  for (const c of [...chronic, ...acute]) ctx.add(conditionResource(ctx, c));
  waitingListOrder(ctx);

  let duplicate: DuplicateTruth | undefined;
  if (hasDuplicate(s.seed, index)) {
    const copy = duplicatePatient(ctx, patient, demographics);
    ctx.add(copy.patient);
    duplicate = { a: `Patient/${patient.id}`, b: `Patient/${copy.patient.id}`, kind: copy.kind };
  }
  return { resources: ctx.resources, duplicate };
}

/** Turns a visit plan into a visit that happened, booking an appointment where one is needed. */
function attend(ctx: PatientContext, plan: VisitPlan, attendance: AttendanceHistory): Visit | undefined {
  let start = plan.at;
  let appointmentId: string | undefined;
  let waitMinutes: number | undefined;
  if (plan.booking) {
    const outcome = bookVisit(ctx, attendance, { clinician: plan.clinician, at: plan.at, leadDays: plan.booking.leadDays, purpose: plan.booking.purpose });
    if (outcome.seenAt === undefined) return undefined;
    start = outcome.seenAt;
    appointmentId = outcome.appointmentId;
    waitMinutes = outcome.waitMinutes;
  }
  const terminal = plan.focus.includes('terminal');
  const end = terminal ? ctx.end : start + (plan.hours ?? ctx.random.uniform(0.25, 0.6)) * HOUR;
  if (start < ctx.start || end > ctx.end) return undefined;
  return { id: ctx.nextId('enc'), kind: plan.kind, start, end, clinician: plan.clinician, focus: plan.focus, reasonIds: [], appointmentId, waitMinutes, diedDuring: terminal };
}

/**
 * Year-by-year survival over the window with a Gompertz hazard (≈0.15 %/year at 40, ≈4.5 % at 80),
 * raised by serious chronic disease.
 */
function decideDeath(ctx: PatientContext, conditions: readonly ConditionState[]): void {
  const serious = conditions.filter((c) => ['heartFailure', 'copd', 'ckd', 'diabetes'].includes(c.definition.key)).length;
  for (let t = ctx.start; t < ctx.now; t += YEAR) {
    const age = ageAt(ctx.birth, t);
    const hazard = Math.min(0.5, 0.00005 * Math.exp(0.085 * age) * (1 + 0.6 * serious));
    if (ctx.random.chance(hazard)) {
      ctx.death = Math.min(ctx.now - DAY, t + ctx.random.uniform(0, YEAR));
      if (ctx.death <= ctx.birth) ctx.death = undefined;
      return;
    }
  }
}
