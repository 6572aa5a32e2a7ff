// The validation section of `npm run bench`: the StructureDefinition-driven validator in this
// process, on the resources writes see every day — a vital-sign Observation against its base
// definition and against a profile with slicing (the server's own nimbus-blood-pressure), a
// Patient — plus the first-use compile of a profile. CPU time per validation, so that other work
// on the machine skews the figures less than wall time would.
import path from 'node:path';
import { r4Definitions } from '../src/fhir/definitions';
import { loadConformanceResources } from '../src/fhir/profiles';
import { ResourceValidator, hasErrors } from '../src/fhir/validation';
import type { Row } from './rows';

const NS = 'xmlns="http://www.w3.org/1999/xhtml"';

/** A blood pressure as the generator and clients write it: narrative, codings, components, reference range. */
export const BLOOD_PRESSURE = {
  resourceType: 'Observation',
  id: 'bench-bp',
  meta: { versionId: '1', lastUpdated: '2024-05-01T10:00:00.000Z' },
  text: { status: 'generated', div: `<div ${NS}><p><b>Blood pressure</b> 2024-05-01: 120/80 mmHg (normal)</p></div>` },
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel with all children optional' }], text: 'Blood pressure' },
  subject: { reference: 'Patient/bench-patient' },
  encounter: { reference: 'Encounter/bench-encounter' },
  effectiveDateTime: '2024-05-01T09:58:00+02:00',
  issued: '2024-05-01T10:00:00.000+02:00',
  performer: [{ reference: 'Practitioner/bench-gp' }],
  interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N', display: 'Normal' }] }],
  component: [
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] },
      valueQuantity: { value: 120, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      referenceRange: [{ low: { value: 90, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }, high: { value: 140, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }],
    },
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8462-4', display: 'Diastolic blood pressure' }] },
      valueQuantity: { value: 80, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    },
  ],
};

/** A heart rate: the single-value vital sign (the most frequent write of the core record). */
export const HEART_RATE = {
  resourceType: 'Observation',
  id: 'bench-hr',
  meta: { versionId: '1', lastUpdated: '2024-05-01T10:00:00.000Z' },
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Heart rate' },
  subject: { reference: 'Patient/bench-patient' },
  encounter: { reference: 'Encounter/bench-encounter' },
  effectiveDateTime: '2024-05-01T09:58:00+02:00',
  valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
};

export const PATIENT = {
  resourceType: 'Patient',
  id: 'bench-patient',
  meta: { versionId: '1', lastUpdated: '2024-05-01T10:00:00.000Z' },
  text: { status: 'generated', div: `<div ${NS}>Peter James Chalmers, male, born 1974-12-25</div>` },
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:oid:1.2.36.146.595.217.0.1', value: '12345' }],
  active: true,
  name: [{ use: 'official', family: 'Chalmers', given: ['Peter', 'James'] }],
  telecom: [{ system: 'phone', value: '(03) 5555 6473', use: 'work', rank: 1 }],
  gender: 'male',
  birthDate: '1974-12-25',
  address: [{ use: 'home', line: ['534 Erewhon St'], city: 'PleasantVille', postalCode: '3999', country: 'AU' }],
};

const NIMBUS_BP = 'http://nimbus-fhir.org/fhir/StructureDefinition/nimbus-blood-pressure';
const NIMBUS_PATIENT = 'http://nimbus-fhir.org/fhir/StructureDefinition/nimbus-patient';

/** CPU µs per call: the median of several timed batches after a warm-up. */
function cpuMicros(fn: () => void, batch = 500, batches = 7): number {
  for (let i = 0; i < batch; i++) fn();
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = process.cpuUsage();
    for (let i = 0; i < batch; i++) fn();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / batch);
  }
  return samples.sort((a, b) => a - b)[Math.floor(batches / 2)];
}

export function validationRows(profilesDir = path.resolve(__dirname, '..', '..', 'fhir-profiles')): Row[] {
  const startedAt = process.hrtime.bigint();
  const validator = new ResourceValidator(r4Definitions());
  loadConformanceResources(profilesDir, validator);
  const loadMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
  const check = (r: Record<string, unknown>, profiles: string[]) => {
    const issues = validator.validator.validate(r, { profiles, metaProfiles: false });
    if (hasErrors(issues)) throw new Error(`bench resource ${String(r.id)} is invalid: ${issues.map((i) => i.diagnostics).join('; ')}`);
  };
  // First use of a profile: its snapshot is compiled then (lazily), not at start-up.
  const compileStart = process.hrtime.bigint();
  check(BLOOD_PRESSURE, [NIMBUS_BP]);
  const compileMs = Number(process.hrtime.bigint() - compileStart) / 1e6;
  const row = (id: string, label: string, fn: () => void, note?: string): Row => ({ id, label, rate: cpuMicros(fn), unit: 'µs', note });
  return [
    row('validate.observation.base', 'validate a blood-pressure Observation against its base definition (CPU per call)', () => check(BLOOD_PRESSURE, [])),
    row('validate.heartrate.base', 'validate a heart-rate Observation against its base definition', () => check(HEART_RATE, [])),
    row('validate.observation.profile', 'validate the blood pressure against base + nimbus-blood-pressure (sliced components)', () => check(BLOOD_PRESSURE, [NIMBUS_BP])),
    row('validate.patient.profile', 'validate a Patient against base + nimbus-patient (MRN slice)', () => check(PATIENT, [NIMBUS_PATIENT])),
    { id: 'validate.compile', label: 'first validation against nimbus-blood-pressure (compile of the profile and its bases)', rate: compileMs, unit: 'ms', note: `loading fhir-profiles/ took ${loadMs.toFixed(0)} ms` },
  ];
}
