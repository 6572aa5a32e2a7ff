/**
 * Care utilisation over the record window: which visits a patient asks for and when. Rates rise
 * with age and with the number of active chronic conditions; emergencies and admissions come from
 * acute problems (some admitted, readmission.ts) and from exacerbations of heart failure and COPD. Attendance is decided later,
 * when each request is booked (scheduling.ts).
 */
import type { ConditionState } from './conditions';
import { ACUTE, hasActive } from './conditions';
import type { PatientContext } from './context';
import type { VisitKind } from './encounters';
import type { Clinician } from './organizations';
import { clinicianFor } from './organizations';
import type { VisitPurpose } from './scheduling';
import { admissionChance, stayHours } from './readmission';
import { ageAt, DAY, HOUR, YEAR } from './time';

export interface VisitPlan {
  at: number;
  kind: VisitKind;
  clinician: Clinician;
  focus: string[];
  /** Chronic conditions the visit is about. */
  conditions: ConditionState[];
  /** For appointment-based visits: booking lead in days and purpose. */
  booking?: { leadDays: number; purpose: VisitPurpose };
  /** Hours the visit lasts when it is not a 30-minute appointment. */
  hours?: number;
}

export function planVisits(ctx: PatientContext, chronic: readonly ConditionState[]): VisitPlan[] {
  const r = ctx.random;
  const plans: VisitPlan[] = [];
  const gp = ctx.homeClinician;
  const hospital = (specialty: Parameters<typeof clinicianFor>[1]) => clinicianFor(ctx.directory, specialty, ctx.town, r);
  const active = (at: number) => chronic.filter((c) => c.onset <= at && (c.abatement === undefined || c.abatement > at));

  for (let year = ctx.start; year < ctx.end; year += YEAR) {
    const mid = year + YEAR / 2;
    const age = ageAt(ctx.birth, mid);
    const current = active(mid);
    // Annual check-up: near-universal for children, less so for young adults.
    const wellness = age < 18 ? 0.9 : age < 40 ? 0.5 : age < 65 ? 0.72 : 0.88;
    if (r.chance(wellness)) plans.push({ at: year + r.uniform(0, YEAR), kind: 'wellness', clinician: gp, focus: [], conditions: [], booking: { leadDays: r.int(10, 60), purpose: 'CHECKUP' } });

    // Chronic follow-up: the GP sees the general conditions together; specialists one by one.
    const general = current.filter((c) => c.definition.specialty === 'general');
    const gpRate = Math.min(4, general.reduce((s, c) => s + c.definition.followUpsPerYear, 0));
    for (let k = r.poisson(gpRate); k > 0; k--) {
      plans.push({ at: year + r.uniform(0, YEAR), kind: 'followup', clinician: gp, focus: general.map((c) => c.definition.key), conditions: general, booking: { leadDays: r.int(7, 45), purpose: 'FOLLOWUP' } });
    }
    for (const c of current) {
      if (c.definition.specialty === 'general') continue;
      for (let k = r.poisson(c.definition.followUpsPerYear); k > 0; k--) {
        const specialist = r.chance(0.65);
        plans.push({ at: year + r.uniform(0, YEAR), kind: 'followup', clinician: specialist ? hospital(c.definition.specialty) : gp, focus: [c.definition.key], conditions: [c], booking: { leadDays: r.int(specialist ? 14 : 5, specialist ? 70 : 30), purpose: 'FOLLOWUP' } });
      }
    }

    // Acute problems: children under 5 and the elderly fall ill more often.
    const acuteRate = 0.22 + 0.08 * current.length + (age < 5 || age >= 75 ? 0.25 : 0);
    for (let k = r.poisson(acuteRate); k > 0; k--) {
      const problem = r.weighted(ACUTE, ACUTE.map((a) => (a.key === 'chestPain' ? (age > 45 ? 8 : 2) : a.key === 'sprain' ? (age < 50 ? 12 : 5) : a.key === 'pneumonia' ? (age > 70 || age < 5 ? 12 : 4) : 12)));
      const at = year + r.uniform(0, YEAR);
      if (r.chance(problem.emergencyShare)) {
        const hours = r.uniform(2, 8);
        plans.push({ at, kind: 'emergency', clinician: hospital('emergency'), focus: [problem.key], conditions: [], hours });
        // Some emergency visits end in an admission, more often for the old (readmission.ts).
        if (r.chance(admissionChance(problem.key, age))) plans.push({ at: at + hours * HOUR, kind: 'inpatient', clinician: hospital('general'), focus: [`${problem.key}-admission`], conditions: [], hours: stayHours(r) });
      } else plans.push({ at, kind: 'sick', clinician: gp, focus: [problem.key], conditions: [], booking: { leadDays: r.int(0, 2), purpose: 'ROUTINE' } });
    }

    // Exacerbations of heart failure and COPD end in an admission through the emergency department.
    for (const key of ['heartFailure', 'copd'] as const) {
      if (!hasActive(chronic, key, mid)) continue;
      for (let k = r.poisson(0.4); k > 0; k--) {
        const c = current.find((x) => x.definition.key === key)!;
        plans.push({ at: year + r.uniform(0, YEAR), kind: 'inpatient', clinician: hospital(key === 'copd' ? 'pulmonology' : 'cardiology'), focus: [key], conditions: [c], hours: r.uniform(2, 8) * 24 });
      }
    }
  }

  // Frail old people are admitted for falls and general decline (the commonest medical admissions at 75+).
  for (let year = ctx.start; year < ctx.end; year += YEAR) {
    const age = ageAt(ctx.birth, year + YEAR / 2);
    for (let k = r.poisson(age >= 75 ? 0.12 : age >= 65 ? 0.04 : 0); k > 0; k--) {
      plans.push({ at: year + r.uniform(0, YEAR), kind: 'inpatient', clinician: hospital('general'), focus: ['frailty-admission'], conditions: active(year + YEAR / 2), hours: stayHours(r) });
    }
  }

  // A new chronic diagnosis is made at a problem visit a few weeks after onset.
  for (const c of chronic) {
    if (c.onset < ctx.start || c.onset > ctx.end) continue;
    plans.push({ at: c.onset + r.int(7, 40) * DAY, kind: 'diagnosis', clinician: gp, focus: [c.definition.key], conditions: [c], booking: { leadDays: r.int(2, 12), purpose: 'ROUTINE' } });
  }

  // Half of those who die in the record window die in hospital.
  if (ctx.death !== undefined && r.chance(0.5)) {
    const hours = r.uniform(1, 10) * 24;
    plans.push({ at: ctx.death - hours * 3_600_000, kind: 'inpatient', clinician: hospital('general'), focus: ['terminal'], conditions: active(ctx.death), hours });
  }

  // Living patients often have an appointment booked for after `now`.
  if (ctx.death === undefined && r.chance(0.4)) {
    const ahead = r.int(16, 120);
    plans.push({ at: ctx.now + ahead * DAY, kind: 'followup', clinician: gp, focus: [], conditions: [], booking: { leadDays: ahead + r.int(1, 30), purpose: 'FOLLOWUP' } });
  }

  return plans.filter((p) => p.at >= ctx.start && (p.at <= ctx.end || p.at > ctx.now)).sort((a, b) => a.at - b.at);
}
