// Quality of the no-show model at a larger size, in-process (the same pure functions $train runs
// after reading the store): generated patients → cases → patient split → fit → held-out metrics.
// Also reports the AUC of the generator's own formula on the same held-out cases without each
// patient's hidden attendance habit (what the planted observable effects alone achieve), so the
// model's AUC can be read against it.
//   npx tsc -p tsconfig.json && node dist/bench/no-show-model.js [--patients 2000] [--seed 7] [--years 2]
import { parseArgs } from 'node:util';
import type { Appointment, Location, Patient } from '@medplum/fhirtypes';
import { generatePatientRecords } from '../src/generate';
import { NO_SHOW_EFFECTS } from '../src/generate/scheduling';
import { splitByPatient, trainAndEvaluate } from '../src/ai/trained/evaluate';
import { sigmoid } from '../src/ai/trained/logistic';
import { auc } from '../src/ai/trained/metrics';
import { appointmentFacts, NO_SHOW_FEATURES, noShowExamples, patientFacts, type AppointmentFacts, type PatientFacts, type Position } from '../src/ai/trained/no-show';
import { locationPosition } from '../src/ai/trained/store-data';

const { values } = parseArgs({ options: { patients: { type: 'string', default: '2000' }, seed: { type: 'string', default: '7' }, years: { type: 'string', default: '2' } } });
const patients = Number(values.patients);
const seed = Number(values.seed);

const facts = new Map<string, PatientFacts>();
const locations = new Map<string, Position>();
const byPatient = new Map<string, AppointmentFacts[]>();
let t0 = Date.now();
for (const item of generatePatientRecords({ patients, seed, years: Number(values.years) })) {
  if (item.shared) {
    for (const r of item.shared) if (r.resourceType === 'Location' && locationPosition(r as Location)) locations.set(r.id!, locationPosition(r as Location)!);
    continue;
  }
  for (const r of item.patient.resources) {
    if (r.resourceType === 'Patient') facts.set(r.id!, patientFacts(r as Patient));
    else if (r.resourceType === 'Appointment') {
      const f = appointmentFacts(r as Appointment);
      if (f) byPatient.set(f.patientId, [...(byPatient.get(f.patientId) ?? []), f]);
    }
  }
}
const generateMs = Date.now() - t0;
const examples = noShowExamples(byPatient, facts, locations).map((e) => ({ patientId: e.patientId, features: e.features, label: e.label, baseline: e.priorNoShowRate }));
t0 = Date.now();
const { model, metrics } = trainAndEvaluate(examples, { holdout: 0.3, seed: 1, lambda: 1 });
const trainMs = Date.now() - t0;

// The generator's formula (src/generate/scheduling.ts) on the same held-out cases, without the hidden habit.
const { heldOut } = splitByPatient(examples, 0.3, 1);
const e = NO_SHOW_EFFECTS;
const x = (row: number[], code: string) => row[NO_SHOW_FEATURES.findIndex((f) => f.code === code)];
const observable = heldOut.map((c) => sigmoid(e.base + e.lead * x(c.features, 'lead-time') + e.youngAdult * x(c.features, 'age-18-34') + e.older * x(c.features, 'age-65-plus') + e.pastYear * x(c.features, 'prior-no-shows-year') + e.deprivation * (x(c.features, 'deprivation-decile') - 1) + e.noPhone * x(c.features, 'no-phone') + e.distance * x(c.features, 'distance') + e.monday * x(c.features, 'monday')));
const f3 = (v: number) => v.toFixed(3);
console.log(`no-show model, ${patients} generated patients over ${values.years} years (seed ${seed}): ${examples.length} cases, ${examples.filter((c) => c.label).length} no-shows`);
console.log(`generate ${generateMs} ms; split + fit + evaluate (1,000 bootstrap resamples) ${trainMs} ms`);
console.log(`training ${metrics.trainingCases} cases; held out ${metrics.heldOutCases} cases of ${metrics.heldOutPatients} patients (${metrics.heldOutPositives} no-shows)`);
console.log(`AUC ${f3(metrics.auc)} (95% bootstrap ${f3(metrics.aucLow)}-${f3(metrics.aucHigh)}); Brier ${f3(metrics.brier)}; baseline (prior no-show rate) AUC ${f3(metrics.baselineAuc)}; generator's formula without the hidden habit AUC ${f3(auc(observable, heldOut.map((c) => c.label)))}`);
console.log('coefficients (fitted, per unit of the feature):');
NO_SHOW_FEATURES.forEach((f, j) => console.log(`  ${f.code.padEnd(20)} ${model.coefficients[j].toFixed(3).padStart(7)}`));
console.log(`  ${'intercept'.padEnd(20)} ${model.intercept.toFixed(3).padStart(7)}`);
console.log('calibration (held out): predicted range | cases | mean predicted | observed');
for (const b of metrics.calibration) console.log(`  ${b.low.toFixed(1)}-${b.high.toFixed(1)} | ${String(b.cases).padStart(5)} | ${f3(b.meanPredicted)} | ${f3(b.observedRate)}`);
