// Quality of the 30-day readmission model at a larger size, in-process (the same pure functions
// $train runs after reading the store): generated patients → inpatient stays → patient split →
// fit → held-out metrics, next to the LACE index as the baseline the model must beat.
//   npx tsc -p tsconfig.json && node dist/bench/readmission-model.js [--patients 4000] [--seed 7] [--years 5]
import { parseArgs } from 'node:util';
import type { Condition, Encounter, Patient } from '@medplum/fhirtypes';
import { generatePatientRecords } from '../src/generate';
import { trainAndEvaluate } from '../src/ai/trained/evaluate';
import { conditionFacts, encounterFacts, HOSPITAL_CLASSES, READMISSION_FEATURES, readmissionExamples, readmissionPatient, type ConditionFacts, type EncounterFacts, type ReadmissionPatient } from '../src/ai/trained/readmission';

const { values } = parseArgs({ options: { patients: { type: 'string', default: '4000' }, seed: { type: 'string', default: '7' }, years: { type: 'string', default: '5' } } });
const patients = Number(values.patients);
const seed = Number(values.seed);

const people = new Map<string, ReadmissionPatient>();
const encounters = new Map<string, EncounterFacts[]>();
const conditions = new Map<string, ConditionFacts[]>();
const push = <T>(m: Map<string, T[]>, k: string, v: T) => m.set(k, [...(m.get(k) ?? []), v]);
let t0 = Date.now();
for (const item of generatePatientRecords({ patients, seed, years: Number(values.years) })) {
  if (item.shared) continue;
  for (const r of item.patient.resources) {
    if (r.resourceType === 'Patient') people.set(r.id!, readmissionPatient(r as Patient));
    else if (r.resourceType === 'Encounter') {
      const e = encounterFacts(r as Encounter);
      if (e && HOSPITAL_CLASSES.has(e.classCode)) push(encounters, e.patientId, e);
    } else if (r.resourceType === 'Condition') {
      const c = conditionFacts(r as Condition);
      if (c) push(conditions, c.patientId, c);
    }
  }
}
const generateMs = Date.now() - t0;
const examples = readmissionExamples(encounters, conditions, people).map((e) => ({ patientId: e.patientId, features: e.features, label: e.label, baseline: e.lace }));
t0 = Date.now();
const { model, metrics } = trainAndEvaluate(examples, { holdout: 0.3, seed: 1, lambda: 1 });
const trainMs = Date.now() - t0;
const f3 = (v: number) => v.toFixed(3);
console.log(`readmission model, ${patients} generated patients over ${values.years} years (seed ${seed}): ${examples.length} stays, ${examples.filter((c) => c.label).length} readmitted within 30 days`);
console.log(`generate ${generateMs} ms; split + fit + evaluate (1,000 bootstrap resamples) ${trainMs} ms`);
console.log(`training ${metrics.trainingCases} stays; held out ${metrics.heldOutCases} stays of ${metrics.heldOutPatients} patients (${metrics.heldOutPositives} readmitted)`);
console.log(`AUC ${f3(metrics.auc)} (95% bootstrap ${f3(metrics.aucLow)}-${f3(metrics.aucHigh)}); Brier ${f3(metrics.brier)}; baseline (LACE index) AUC ${f3(metrics.baselineAuc)}`);
console.log('coefficients (fitted, per unit of the feature):');
READMISSION_FEATURES.forEach((f, j) => console.log(`  ${f.code.padEnd(22)} ${model.coefficients[j].toFixed(3).padStart(7)}`));
console.log(`  ${'intercept'.padEnd(22)} ${model.intercept.toFixed(3).padStart(7)}`);
console.log('calibration (held out): predicted range | cases | mean predicted | observed');
for (const b of metrics.calibration) console.log(`  ${b.low.toFixed(1)}-${b.high.toFixed(1)} | ${String(b.cases).padStart(5)} | ${f3(b.meanPredicted)} | ${f3(b.observedRate)}`);
