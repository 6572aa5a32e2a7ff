// NEWS2 (Royal College of Physicians. National Early Warning Score (NEWS) 2: Standardising the
// assessment of acute-illness severity in the NHS. Updated report of a working party. London: RCP,
// 2017; Chart 1 for the bands, Chart 2 for the clinical risk), from the latest Observation of each
// parameter. SpO2 is scored on Scale 1: Scale 2 is for a clinician's documented target of 88-92 %
// (hypercapnic respiratory failure), which a record does not state in a form this server can read.
// Values are rounded as charted (whole numbers; temperature to 0.1 degree) before banding.
import type { Observation } from '@medplum/fhirtypes';
import { InsufficientData, ref, type PatientRecord, type ScoreComponent, type ScoreResult, type VitalSign } from './score';

export const NEWS2_MODEL = {
  code: 'news2',
  display: 'National Early Warning Score 2 (NEWS2)',
  outcome: 'Acute clinical deterioration (escalation of care)',
  source:
    'Royal College of Physicians. National Early Warning Score (NEWS) 2: Standardising the assessment of acute-illness severity in the NHS. Updated report of a working party. London: RCP, 2017 (Chart 1: scoring; Chart 2: clinical risk).',
};

const LOINC = 'http://loinc.org';

/** The LOINC codes read for each parameter (any of them; latest wins). Systolic pressure is also
 * found as a component of a blood pressure panel (search parameter combo-code). */
export const VITAL_SIGN_CODES: Record<VitalSign, string[]> = {
  respiratoryRate: ['9279-1'],
  oxygenSaturation: ['2708-6', '59408-5'],
  // Inhaled oxygen flow rate (L/min) and inhaled oxygen concentration (%).
  supplementalOxygen: ['3151-8', '3150-0'],
  systolicBloodPressure: ['8480-6'],
  heartRate: ['8867-4'],
  // Level of consciousness (AVPU / ACVPU).
  consciousness: ['80288-4', '67775-7'],
  temperature: ['8310-5'],
};
export const VITAL_SIGN_SYSTEM = LOINC;

type Band = [upTo: number, points: number];
/** Chart 1, as upper bounds (inclusive) of each band. */
export const BANDS: Record<'respiratoryRate' | 'oxygenSaturation' | 'systolicBloodPressure' | 'heartRate' | 'temperature', Band[]> = {
  respiratoryRate: [[8, 3], [11, 1], [20, 0], [24, 2], [Infinity, 3]],
  oxygenSaturation: [[91, 3], [93, 2], [95, 1], [Infinity, 0]],
  systolicBloodPressure: [[90, 3], [100, 2], [110, 1], [219, 0], [Infinity, 3]],
  heartRate: [[40, 3], [50, 1], [90, 0], [110, 1], [130, 2], [Infinity, 3]],
  temperature: [[35.0, 3], [36.0, 1], [38.0, 0], [39.0, 1], [Infinity, 2]],
};

export function bandPoints(parameter: keyof typeof BANDS, value: number): number {
  const v = parameter === 'temperature' ? Math.round(value * 10) / 10 : Math.round(value);
  return BANDS[parameter].find(([upTo]) => v <= upTo)![1];
}

/** The numeric value of a parameter, in the chart's unit (temperature in Celsius). */
function quantityOf(o: Observation, code: string): { value: number; unit: string } | undefined {
  const own = o.code?.coding?.some((c) => c.system === LOINC && c.code === code);
  const q = own ? o.valueQuantity : o.component?.find((c) => c.code?.coding?.some((x) => x.system === LOINC && x.code === code))?.valueQuantity;
  if (typeof q?.value !== 'number') return undefined;
  const unit = q.code ?? q.unit ?? '';
  if (code === '8310-5' && (unit === '[degF]' || unit === '°F')) return { value: ((q.value - 32) * 5) / 9, unit: 'Cel' };
  return { value: q.value, unit };
}

const ALERT_CODES = new Set(['248234008', 'LA9340-6', 'A', 'alert']);
/** Alert scores 0; new confusion, voice, pain or unresponsive (CVPU) 3; undefined when unreadable. */
export function consciousnessPoints(o: Observation): number | undefined {
  const concept = o.valueCodeableConcept;
  const words = [...(concept?.coding ?? []).flatMap((c) => [c.code, c.display]), concept?.text, o.valueString].filter((w): w is string => !!w);
  if (!words.length) return undefined;
  return words.some((w) => ALERT_CODES.has(w) || /^alert$/i.test(w.trim())) ? 0 : 3;
}

const when = (o: Observation) => (o.effectiveDateTime ?? o.effectiveInstant ?? o.effectivePeriod?.end ?? o.effectivePeriod?.start ?? '').slice(0, 16);

export function news2(record: PatientRecord): ScoreResult {
  const v = record.vitals;
  const components: ScoreComponent[] = [];
  const missing: string[] = [];
  const numeric = (key: keyof typeof BANDS & VitalSign, label: string, unit: string) => {
    const o = v[key];
    const q = o && VITAL_SIGN_CODES[key].map((c) => quantityOf(o, c)).find(Boolean);
    if (!o || !q) return missing.push(`${label} (LOINC ${VITAL_SIGN_CODES[key].join(' or ')})`);
    components.push({ name: label, points: bandPoints(key, q.value), finding: `${label} ${Math.round(q.value * 10) / 10} ${unit} at ${when(o)}`, basis: [ref(o as { resourceType: string; id?: string })] });
  };
  numeric('respiratoryRate', 'Respiration rate', '/min');
  numeric('oxygenSaturation', 'SpO2 (Scale 1)', '%');
  const oxygen = v.supplementalOxygen;
  const o2 = oxygen && (quantityOf(oxygen, '3151-8') ?? quantityOf(oxygen, '3150-0'));
  if (oxygen && o2) {
    const flowCode = oxygen.code?.coding?.some((c) => c.code === '3151-8') || oxygen.component?.some((c) => c.code?.coding?.some((x) => x.code === '3151-8'));
    const onOxygen = flowCode ? o2.value > 0 : o2.value > 21;
    components.push({ name: 'Air or oxygen', points: onOxygen ? 2 : 0, finding: `${onOxygen ? 'supplemental oxygen' : 'air'} at ${when(oxygen)}`, basis: [ref(oxygen as { resourceType: string; id?: string })] });
  } else missing.push('air or oxygen (inhaled oxygen flow rate LOINC 3151-8 or concentration 3150-0)');
  numeric('systolicBloodPressure', 'Systolic blood pressure', 'mmHg');
  numeric('heartRate', 'Pulse', '/min');
  const avpu = v.consciousness;
  const avpuPoints = avpu && consciousnessPoints(avpu);
  if (avpu && avpuPoints !== undefined) {
    components.push({ name: 'Consciousness', points: avpuPoints, finding: `${avpuPoints ? 'new confusion, voice, pain or unresponsive' : 'alert'} at ${when(avpu)}`, basis: [ref(avpu as { resourceType: string; id?: string })] });
  } else missing.push(`consciousness (ACVPU, LOINC ${VITAL_SIGN_CODES.consciousness.join(' or ')})`);
  numeric('temperature', 'Temperature', 'Cel');
  if (!components.length) throw new InsufficientData('news2', ['vital-sign Observation (respiration rate, SpO2, systolic blood pressure, pulse, consciousness or temperature)']);

  const points = components.reduce((s, c) => s + c.points, 0);
  const redScore = components.some((c) => c.points === 3);
  // Chart 2: 0-4 low; a single parameter scoring 3 low-medium; 5-6 medium; 7 or more high.
  const qualitative = points >= 7 ? 'high' : points >= 5 || redScore ? 'moderate' : 'low';
  const band = points >= 7 ? 'high' : points >= 5 ? 'medium' : redScore ? 'low-medium (a single parameter scored 3)' : 'low';
  return {
    model: NEWS2_MODEL,
    points,
    components,
    missing,
    inputs: 7,
    qualitative,
    remarks: [`clinical risk ${band} (RCP 2017, Chart 2)`, ...(missing.length ? [`the total is a lower bound: ${missing.length} of 7 parameters were not recorded`] : [])],
  };
}
