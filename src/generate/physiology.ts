/**
 * A patient's physiology over time: what a measurement would read at a given moment, given sex,
 * age, active conditions and whether those conditions are treated yet. Keeping it in one place is
 * what makes values condition-dependent and consistent between visits (a hypertensive patient's
 * blood pressure falls after lisinopril starts, a diabetic's HbA1c after metformin).
 */
import type { ConditionState } from './conditions';
import { hasActive } from './conditions';
import type { PatientContext } from './context';
import { ageAt, YEAR } from './time';

export class Physiology {
  private readonly adultHeight: number;
  private readonly bmiBase: number;
  private readonly bmiSlope: number;
  private readonly sbpOffset: number;
  private readonly ldlOffset: number;
  private readonly creatinineBase: number;

  constructor(
    private readonly ctx: PatientContext,
    private readonly conditions: readonly ConditionState[],
    /** Time treatment for a condition key started (first prescription), if ever. */
    private readonly treatedSince: (key: string) => number | undefined,
  ) {
    const r = ctx.random;
    this.adultHeight = ctx.sex === 'male' ? r.normal(176, 7) : r.normal(162, 6.5);
    const obese = conditions.some((c) => c.definition.key === 'obesity');
    this.bmiBase = obese ? Math.max(30.5, r.normal(34, 3.5)) : Math.min(29.5, Math.max(17.5, r.normal(25, 3)));
    this.bmiSlope = r.normal(0.1, 0.15);
    this.sbpOffset = r.normal(0, 7);
    this.ldlOffset = r.normal(0, 18);
    this.creatinineBase = ctx.sex === 'male' ? r.normal(0.95, 0.12) : r.normal(0.76, 0.1);
  }

  private has(key: string, at: number): boolean {
    return hasActive(this.conditions, key, at);
  }

  private treated(key: string, at: number): boolean {
    const since = this.treatedSince(key);
    return since !== undefined && since <= at;
  }

  age(at: number): number {
    return ageAt(this.ctx.birth, at);
  }

  heightCm(at: number): number {
    const a = this.age(at);
    // Piecewise growth: fast in infancy, steady in childhood, reaching adult height at 18.
    if (a < 1) return 50 + 25 * a;
    if (a < 12) return 75 + 6.2 * (a - 1);
    if (a < 18) return 143 + (this.adultHeight - 143) * ((a - 12) / 6);
    return this.adultHeight;
  }

  bmi(at: number): number {
    const a = this.age(at);
    if (a < 18) return (this.bmiBase - 25) * 0.5 + 16 + a * 0.15;
    return Math.max(16, this.bmiBase + this.bmiSlope * ((at - this.ctx.horizon) / YEAR));
  }

  weightKg(at: number, noise: number): number {
    const h = this.heightCm(at) / 100;
    return this.bmi(at) * h * h + noise;
  }

  bloodPressure(at: number, noise: number): [number, number] {
    const a = this.age(at);
    let sbp: number;
    if (a < 18) sbp = 95 + a * 1.2;
    else if (this.has('hypertension', at)) sbp = this.treated('hypertension', at) ? 134 : 154;
    else sbp = Math.min(134, 114 + Math.max(0, a - 30) * 0.25);
    sbp += this.sbpOffset + noise;
    const dbp = 0.55 * sbp + 12 + noise * 0.3;
    return [Math.round(sbp), Math.round(dbp)];
  }

  heartRate(at: number, noise: number): number {
    const base = this.age(at) < 12 ? 95 : 72;
    return Math.round(this.has('atrialFibrillation', at) && !this.treated('atrialFibrillation', at) ? base + 20 + noise * 1.5 : base + noise);
  }

  spo2(at: number, noise: number): number {
    const base = this.has('copd', at) ? 93 : this.has('heartFailure', at) ? 95 : 98;
    return Math.min(100, Math.round(base + noise));
  }

  hba1c(at: number, noise: number): number {
    if (!this.has('diabetes', at)) return round1(5.4 + noise * 0.3);
    return round1((this.treated('diabetes', at) ? 7.1 : 8.3) + noise * 0.9);
  }

  /** Glucose follows HbA1c through the ADAG estimated-average-glucose relation (mg/dL). */
  glucose(at: number, noise: number): number {
    return Math.round(28.7 * this.hba1c(at, 0) - 46.7 + noise * 15);
  }

  creatinine(at: number, noise: number): number {
    let value = this.creatinineBase;
    const ckd = this.conditions.find((c) => c.definition.key === 'ckd' && c.onset <= at);
    // CKD creatinine rises with time since onset (progressive loss of filtration).
    if (ckd) value = 1.5 + 0.08 * ((at - ckd.onset) / YEAR);
    return round2(Math.max(0.4, value + noise * 0.08));
  }

  /** CKD-EPI 2021 creatinine equation (race-free), mL/min/1.73m2. */
  egfr(at: number, creatinine: number): number {
    const female = this.ctx.sex === 'female';
    const k = female ? 0.7 : 0.9;
    const alpha = female ? -0.241 : -0.302;
    const ratio = creatinine / k;
    const value = 142 * Math.min(ratio, 1) ** alpha * Math.max(ratio, 1) ** -1.2 * 0.9938 ** this.age(at) * (female ? 1.012 : 1);
    return Math.round(value);
  }

  ldl(at: number, noise: number): number {
    const base = this.has('hyperlipidemia', at) ? (this.treated('hyperlipidemia', at) ? 98 : 168) : 112;
    return Math.round(Math.max(40, base + this.ldlOffset + noise * 12));
  }

  potassium(at: number, noise: number): number {
    return round1((this.has('ckd', at) ? 4.9 : 4.2) + noise * 0.3);
  }

  hemoglobin(at: number, noise: number): number {
    const base = this.age(at) < 12 ? 12.5 : this.ctx.sex === 'male' ? 14.9 : 13.3;
    return round1(base - (this.has('ckd', at) ? 1.6 : 0) + noise * 0.8);
  }

  ntProBnp(at: number, noise: number): number {
    return Math.round(this.has('heartFailure', at) ? Math.exp(7.2 + noise * 0.6) : Math.exp(4.2 + noise * 0.5));
  }

  tsh(at: number, noise: number): number {
    if (!this.has('hypothyroidism', at)) return round2(Math.exp(0.6 + noise * 0.35));
    return round2(this.treated('hypothyroidism', at) ? Math.exp(0.9 + noise * 0.4) : 7 + Math.abs(noise) * 4);
  }

  respiratoryRate(at: number, noise: number, acute: string[]): number {
    const base = acute.includes('pneumonia') ? 24 : this.has('copd', at) ? 20 : this.age(at) < 12 ? 22 : 15;
    return Math.max(8, Math.round(base + noise * 2));
  }

  temperature(noise: number, febrile: boolean): number {
    return round1(febrile ? 38.4 + noise * 0.5 : 36.8 + noise * 0.25);
  }

  phq9(at: number, noise: number): number {
    let base = 3;
    if (this.has('depression', at)) base = this.treated('depression', at) ? 9 : 15;
    return Math.max(0, Math.min(27, Math.round(base + noise * 3)));
  }
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
