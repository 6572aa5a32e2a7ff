// Quality of the no-show model at a larger size, in-process (the same pure functions $train runs
// after reading the store): generated patients → cases → patient split → fit → held-out metrics.
// Also reports the AUC of the generator's own formula on the same held-out cases (the best any
// model of these features can do on this data), so the model's AUC can be read against its ceiling.
//   npx tsc -p tsconfig.json && node dist/bench/no-show-model.js [--patients 2000] [--seed 7] [--years 2]
import { parseArgs } from 'node:util';
import type { Appointment, Patient } from '@medplum/fhirtypes';
import { generatePatientRecords } from '../src/generate';
import { splitByPatient, trainAndEvaluate } from '../src/ai/trained/evaluate';
import { sigmoid } from '../src/ai/trained/logistic';
import { auc } from '../src/ai/trained/metrics';
import { appointmentFacts, birthOf, NO_SHOW_FEATURES, noShowExamples, type AppointmentFacts } from '../src/ai/trained/no-show';

const { values } = parseArgs({ options: { patients: { type: 'string', default: '2000' }, seed: { type: 'string', default: '7' }, years: { type: 'string', default: '2' } } });
const patients = Number(values.patients);
const seed = Number(values.seed);

const births = new Map<string, number>();
const byPatient = new Map<string, AppointmentFacts[]>();
let t0 = Date.now();
for (const item of generatePatientRecords({ patients, seed, years: Number(values.years) })) {
  if (item.shared) continue;
  for (const r of item.patient.resources) {
    if (r.resourceType === 'Patient') {
      const b = birthOf(r as Patient);
      if (b !== undefined) births.set(r.id!, b);
    } else if (r.resourceType === 'Appointment') {
      const f = appointmentFacts(r as Appointment);
      if (f) byPatient.set(f.patientId, [...(byPatient.get(f.patientId) ?? []), f]);
    }
  }
}
const generateMs = Date.now() - t0;
const examples = noShowExamples(byPatient, births).map((e) => ({ patientId: e.patientId, features: e.features, label: e.label, baseline: e.priorNoShowRate }));
t0 = Date.now();
const { model, metrics } = trainAndEvaluate(examples, { holdout: 0.3, seed: 1, lambda: 1 });
const trainMs = Date.now() - t0;

// The generator's formula (src/generate/scheduling.ts) on the same held-out cases and features.
const { heldOut } = splitByPatient(examples, 0.3, 1);
const col = (code: string) => NO_SHOW_FEATURES.findIndex((f) => f.code === code);
const oracle = heldOut.map((e) => sigmoid(-3.5 + 0.35 * e.features[col('lead-time')] + 0.6 * e.features[col('age-18-34')] - 0.4 * e.features[col('age-65-plus')] + 0.6 * e.features[col('prior-no-shows')]));
const f3 = (x: number) => x.toFixed(3);
console.log(`no-show model, ${patients} generated patients (seed ${seed}): ${examples.length} cases, ${examples.filter((e) => e.label).length} no-shows`);
console.log(`generate ${generateMs} ms; split + fit + evaluate (1,000 bootstrap resamples) ${trainMs} ms`);
console.log(`training ${metrics.trainingCases} cases; held out ${metrics.heldOutCases} cases of ${metrics.heldOutPatients} patients (${metrics.heldOutPositives} no-shows)`);
console.log(`AUC ${f3(metrics.auc)} (95% bootstrap ${f3(metrics.aucLow)}-${f3(metrics.aucHigh)}); Brier ${f3(metrics.brier)}; baseline (prior no-show rate) AUC ${f3(metrics.baselineAuc)}; generator's own formula AUC ${f3(auc(oracle, heldOut.map((e) => e.label)))}`);
console.log('coefficients (fitted vs planted):');
const planted: Record<string, number> = { 'lead-time': 0.35, 'age-18-34': 0.6, 'age-65-plus': -0.4, 'prior-no-shows': 0.6 };
NO_SHOW_FEATURES.forEach((f, j) => console.log(`  ${f.code.padEnd(16)} ${model.coefficients[j].toFixed(3).padStart(7)}  ${(planted[f.code] ?? 0).toFixed(2).padStart(5)}`));
console.log(`  intercept        ${model.intercept.toFixed(3).padStart(7)}  -3.50`);
console.log('calibration (held out): predicted range | cases | mean predicted | observed');
for (const b of metrics.calibration) console.log(`  ${b.low.toFixed(1)}-${b.high.toFixed(1)} | ${String(b.cases).padStart(5)} | ${f3(b.meanPredicted)} | ${f3(b.observedRate)}`);
