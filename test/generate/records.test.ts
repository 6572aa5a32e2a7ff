// Content of generated records, checked without disk: FHIR validity, selectivity of the reserved
// codes, clinical plausibility (prevalence by age, values by condition, drugs by indication) and
// the scheduling model's no-show behaviour.
import type { Appointment, Condition, Encounter, MedicationRequest, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { SELECTIVITY_CODES } from '../../src/generate';
import { r4Definitions } from '../../src/fhir/definitions';
import { ResourceValidator } from '../../src/fhir/validation';
import { codeOf, collect, type Generated } from './helpers';
import { missingRequired } from './required-elements';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const YEAR = 365.25 * 86_400_000;
let data: Generated;
let all: Resource[];
const ofType = <T extends Resource>(type: T['resourceType']): T[] => all.filter((r): r is T => r.resourceType === type);

beforeAll(() => {
  data = collect(400, 7);
  all = [...data.shared, ...data.patients.flatMap((p) => p.resources)];
});

describe('FHIR validity', () => {
  it('every generated resource passes the R4 schema of its type and carries its required elements', () => {
    const validator = new ResourceValidator(r4Definitions());
    const problems: string[] = [];
    for (const r of all) {
      // Errors only: dom-6 (no narrative) is a best-practice warning the generated record accepts.
      for (const issue of validator.validate(r, r.resourceType)) if (issue.severity === 'error') problems.push(`${r.resourceType}/${r.id}: ${issue.diagnostics}`);
      for (const path of missingRequired(r)) problems.push(`${r.resourceType}/${r.id}: missing ${path}`);
      if (problems.length > 20) break;
    }
    expect(problems).toEqual([]);
  });

  it('would notice a broken resource (control for the check above)', () => {
    const validator = new ResourceValidator(r4Definitions());
    const observation = structuredClone(ofType<Observation>('Observation')[0]) as unknown as Record<string, unknown>;
    delete observation.status;
    observation.valueQuantityy = 1;
    expect(missingRequired(observation as unknown as Resource)).toEqual(['Observation.status']);
    expect(validator.validate(observation, 'Observation').filter((i) => i.severity === 'error').length).toBeGreaterThan(0);
  });

  it('produces every resource type the product relies on', () => {
    const types = new Set(all.map((r) => r.resourceType));
    for (const t of ['Organization', 'Location', 'Practitioner', 'PractitionerRole', 'HealthcareService', 'Schedule', 'Slot', 'Patient', 'Encounter',
      'Appointment', 'Condition', 'Observation', 'MedicationRequest', 'Procedure', 'Immunization', 'AllergyIntolerance', 'ServiceRequest', 'Task',
      'Questionnaire', 'QuestionnaireResponse']) expect(types).toContain(t);
  });

  it('gives every resource a unique client id', () => {
    const keys = all.map((r) => `${r.resourceType}/${r.id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lands in the 150–300 resources per patient per 10 years band', () => {
    const perPatient = data.patients.reduce((n, p) => n + p.resources.length, 0) / 400;
    expect(perPatient).toBeGreaterThan(150);
    expect(perPatient).toBeLessThan(300);
  });
});

describe('selectivity codes', () => {
  it('hold their designed share of all Observations and appear nowhere else', () => {
    const observations = ofType<Observation>('Observation');
    for (const level of ['rare', 'uncommon', 'common'] as const) {
      const { system, code, share } = SELECTIVITY_CODES[level];
      const n = observations.filter((o) => o.code.coding?.some((c) => c.system === system && c.code === code)).length;
      // The ledger keeps each share exact to one Observation; allow 3 % for the last patient.
      expect(Math.abs(n / observations.length - share)).toBeLessThanOrEqual(share * 0.03 + 1 / observations.length);
      const elsewhere = all.filter((r) => r.resourceType !== 'Observation' && JSON.stringify(r).includes(`"${code}"`));
      expect(elsewhere).toEqual([]);
    }
  });

  it('spreads Observation dates over the requested years before now', () => {
    const times = ofType<Observation>('Observation').map((o) => Date.parse(o.effectiveDateTime!));
    const min = Math.min(...times);
    const max = Math.max(...times);
    expect(max).toBeLessThanOrEqual(NOW);
    expect(min).toBeGreaterThanOrEqual(NOW - 10 * YEAR);
    expect(max - min).toBeGreaterThan(9.5 * YEAR);
  });
});

describe('clinical coherence', () => {
  const ageAtNow = (p: Patient) => (NOW - Date.parse(p.birthDate!)) / YEAR;
  const conditionsOf = () => {
    const byPatient = new Map<string, Set<string>>();
    for (const c of ofType<Condition>('Condition')) {
      const id = c.subject.reference!;
      if (!byPatient.has(id)) byPatient.set(id, new Set());
      byPatient.get(id)!.add(c.code!.coding![0].code!);
    }
    return byPatient;
  };

  it('makes hypertension far more common at 70+ than at 20–30', () => {
    const byPatient = conditionsOf();
    const patients = ofType<Patient>('Patient').filter((p) => !p.id!.endsWith('-b'));
    const rate = (lo: number, hi: number) => {
      const group = patients.filter((p) => ageAtNow(p) >= lo && ageAtNow(p) < hi);
      return group.filter((p) => byPatient.get(`Patient/${p.id}`)?.has('38341003')).length / group.length;
    };
    expect(rate(70, 120)).toBeGreaterThan(0.4);
    expect(rate(70, 120)).toBeGreaterThan(3 * rate(20, 30));
  });

  it('gives diabetics higher HbA1c than others', () => {
    const byPatient = conditionsOf();
    const diabetic: number[] = [];
    const other: number[] = [];
    for (const o of ofType<Observation>('Observation')) {
      if (codeOf(o) !== '4548-4') continue;
      (byPatient.get(o.subject!.reference!)?.has('44054006') ? diabetic : other).push(o.valueQuantity!.value!);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(diabetic.length).toBeGreaterThan(20);
    expect(mean(diabetic)).toBeGreaterThan(mean(other) + 1);
    const nonUcum = ofType<Observation>('Observation').filter((o) => o.valueQuantity && o.valueQuantity.system !== 'http://unitsofmeasure.org');
    expect(nonUcum).toEqual([]);
  });

  it('prescribes metformin only for type 2 diabetes and lisinopril/amlodipine only for cardiovascular or renal indications', () => {
    const conditions = new Map(ofType<Condition>('Condition').map((c) => [`Condition/${c.id}`, c.code!.coding![0].code!]));
    const indications: Record<string, string[]> = { '861007': ['44054006'], '314076': ['38341003', '84114007'], '197361': ['38341003'] };
    let checked = 0;
    for (const m of ofType<MedicationRequest>('MedicationRequest')) {
      expect(m.medicationCodeableConcept?.coding?.[0].system).toBe('http://www.nlm.nih.gov/research/umls/rxnorm');
      const allowed = indications[m.medicationCodeableConcept!.coding![0].code!];
      if (!allowed) continue;
      checked++;
      expect(allowed).toContain(conditions.get(m.reasonReference![0].reference!));
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('records nothing after death or after now, except appointments booked for the future', () => {
    const deathOf = new Map(ofType<Patient>('Patient').filter((p) => p.deceasedDateTime).map((p) => [`Patient/${p.id}`, Date.parse(p.deceasedDateTime!)]));
    expect(deathOf.size).toBeGreaterThan(5);
    const outside = ofType<Encounter>('Encounter').filter((e) =>
      Date.parse(e.period!.end!) > (deathOf.get(e.subject!.reference!) ?? NOW) || Date.parse(e.period!.start!) < NOW - 10 * YEAR);
    expect(outside).toEqual([]);
    const wrongStatus = ofType<Appointment>('Appointment').filter((a) =>
      !(Date.parse(a.start!) > NOW ? ['booked', 'cancelled'] : ['fulfilled', 'noshow', 'cancelled']).includes(a.status));
    expect(wrongStatus).toEqual([]);
    const afterDeath = ofType<Observation>('Observation').filter((o) => Date.parse(o.effectiveDateTime!) > (deathOf.get(o.subject!.reference!) ?? NOW));
    expect(afterDeath).toEqual([]);
  });

  it('misses more appointments booked long ahead than ones booked days ahead, at a realistic overall rate', () => {
    const past = ofType<Appointment>('Appointment').filter((a) => a.status !== 'cancelled' && Date.parse(a.start!) <= NOW);
    const lead = (a: Appointment) => (Date.parse(a.start!) - Date.parse(a.created!)) / 86_400_000;
    const noShowRate = (xs: Appointment[]) => xs.filter((a) => a.status === 'noshow').length / xs.length;
    const overall = noShowRate(past);
    // Outpatient no-show rates average about 23 % across studies (Dantas et al., Health Policy 2018).
    expect(overall).toBeGreaterThan(0.1);
    expect(overall).toBeLessThan(0.3);
    expect(noShowRate(past.filter((a) => lead(a) > 30))).toBeGreaterThan(noShowRate(past.filter((a) => lead(a) < 5)));
    // The most deprived postal areas miss more appointments than the least deprived.
    const decile = new Map(ofType<Patient>('Patient').map((p) => [`Patient/${p.id}`, p.address![0].extension!.find((x) => x.url.endsWith('area-deprivation-decile'))!.valueInteger!]));
    const decileOf = (a: Appointment) => decile.get(a.participant![0].actor!.reference!)!;
    expect(noShowRate(past.filter((a) => decileOf(a) >= 8))).toBeGreaterThan(noShowRate(past.filter((a) => decileOf(a) <= 3)));
  });
});
