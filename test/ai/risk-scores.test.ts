// The validated scores against their publications. Sources of the expected values:
// - Charlson: the 10-year survival estimate 0.983^(e^(0.9 x CCI)) of Charlson ME et al., J Chronic
//   Dis 1987;40(5):373-83, whose values by index (0: 98 %, 1: 96 %, 2: 90 %, 3: 77 %, 4: 53 %,
//   5: 21 %, 6: 2 %) are the table reproduced in the clinical references of the score; the ICD-10
//   categories and the hierarchy (complicated diabetes over uncomplicated, severe over mild liver
//   disease, metastatic over any malignancy) of Quan H et al., Med Care 2005;43(11):1130-9, Table 1;
//   age points of Charlson ME et al., J Clin Epidemiol 1994;47(11):1245-51.
// - CHA2DS2-VASc: the item weights of Lip GY et al., Chest 2010;137(2):263-72 (Table 2), maximum 9,
//   and the adjusted stroke rates of Camm AJ et al., Eur Heart J 2010;31(19):2369-429, Table 8.
// - LACE: the points table of van Walraven C et al., CMAJ 2010;182(6):551-7 (Table 2), range 0-19.
// - NEWS2: Chart 1 (bands) and Chart 2 (clinical risk) of the Royal College of Physicians' NEWS2
//   report (London: RCP, 2017); each expected point below is read off Chart 1.
import type { Condition, Encounter, Observation } from '@medplum/fhirtypes';
import { cha2ds2Vasc, ANNUAL_STROKE_RATE } from '../../src/ai/risk/cha2ds2-vasc';
import { charlson, charlsonAgePoints, charlsonComorbidities, charlsonTenYearSurvival } from '../../src/ai/risk/charlson';
import { charlsonCategoryOfIcd10 } from '../../src/ai/risk/charlson-codes';
import { lace, lengthOfStayDays, losPoints } from '../../src/ai/risk/lace';
import { bandPoints, news2 } from '../../src/ai/risk/news2';
import { InsufficientData, type PatientRecord } from '../../src/ai/risk/score';
import { CHRONIC, ACUTE } from '../../src/generate/conditions';

const AS_OF = new Date('2025-06-30T23:59:59.999Z');
let n = 0;
const icd = (code: string, onset = '2020-01-01'): Condition => ({
  resourceType: 'Condition', id: `c${++n}`, subject: { reference: 'Patient/p' }, onsetDateTime: onset,
  code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code }] },
});
const sct = (code: string): Condition => ({
  resourceType: 'Condition', id: `c${++n}`, subject: { reference: 'Patient/p' }, onsetDateTime: '2020-01-01',
  code: { coding: [{ system: 'http://snomed.info/sct', code }] },
});
const record = (over: Partial<PatientRecord>): PatientRecord => ({ patientId: 'p', asOf: AS_OF, conditions: [], encounters: [], vitals: {}, ...over });

describe('Charlson Comorbidity Index', () => {
  it('reproduces the 10-year survival of Charlson 1987 for each index', () => {
    const published = [0.98, 0.96, 0.9, 0.77, 0.53, 0.21, 0.02];
    published.forEach((p, index) => expect(Math.round(charlsonTenYearSurvival(index) * 100) / 100).toBe(p));
  });

  it('gives the age points of the combined index (Charlson 1994)', () => {
    expect([49, 50, 59, 60, 70, 79, 80, 95].map(charlsonAgePoints)).toEqual([0, 1, 1, 2, 3, 3, 4, 4]);
  });

  it('codes ICD-10 as Quan 2005 Table 1', () => {
    const cases: Array<[string, string | undefined]> = [
      ['I21.4', 'myocardialInfarction'], ['I25.2', 'myocardialInfarction'], ['I25.5', 'congestiveHeartFailure'], ['I25.1', undefined],
      ['I50.9', 'congestiveHeartFailure'], ['I42.7', 'congestiveHeartFailure'], ['I42.1', undefined], ['I73.9', 'peripheralVascular'],
      ['I63.9', 'cerebrovascular'], ['G45.9', 'cerebrovascular'], ['F03', 'dementia'], ['G30.1', 'dementia'], ['J44.9', 'chronicPulmonary'],
      ['J45.9', 'chronicPulmonary'], ['M06.9', 'rheumatic'], ['K27.9', 'pepticUlcer'], ['K70.3', 'mildLiver'], ['K70.4', 'severeLiver'],
      ['E11.9', 'diabetes'], ['E11.2', 'diabetesComplicated'], ['E10.7', 'diabetesComplicated'], ['G81.9', 'hemiplegia'], ['N18.9', 'renal'],
      ['N03.2', 'renal'], ['N03.1', undefined], ['C34.1', 'malignancy'], ['C44.9', undefined], ['C78.0', 'metastaticSolidTumour'], ['B20', 'hiv'],
      ['I10', undefined], ['I48.9', undefined],
    ];
    for (const [code, category] of cases) expect([code, charlsonCategoryOfIcd10(code)]).toEqual([code, category]);
  });

  it('weights each category once and applies the hierarchy', () => {
    const c = charlsonComorbidities([icd('E11.9'), icd('E11.2'), icd('K70.3'), icd('K72.1'), icd('C34.1'), icd('C78.0'), icd('I50.9'), icd('I50.1')], AS_OF);
    // complicated diabetes 2 + severe liver 3 + metastatic 6 + heart failure 1 (once)
    expect(c.points).toBe(12);
    expect(c.components.map((x) => x.name)).not.toContain('Diabetes without chronic complication');
  });

  it('scores a 72-year-old with heart failure, COPD and type 2 diabetes: 3 + 3 = 6, survival 2 %', () => {
    const r = charlson(record({ birthDate: '1953-03-01', conditions: [icd('I50.9'), icd('J44.9'), icd('E11.9')] }));
    expect(r.points).toBe(6);
    expect(r.missing).toEqual([]);
    expect(r.probability).toBeCloseTo(1 - 0.983 ** Math.exp(5.4), 4);
    expect(r.qualitative).toBe('high');
  });

  it('maps every Charlson condition the generator writes in SNOMED CT to its category', () => {
    // The generator pairs each SNOMED concept with an ICD-10 code; the map must agree with it.
    const { SNOMED_TO_ICD10 } = jest.requireActual('../../src/ai/risk/charlson-codes');
    for (const def of [...CHRONIC, ...ACUTE]) expect([def.snomed[0], SNOMED_TO_ICD10[def.snomed[0]]]).toEqual([def.snomed[0], def.icd10[0]]);
    const r = charlsonComorbidities([sct('84114007'), sct('44054006'), sct('709044004'), sct('13645005'), sct('38341003')], AS_OF);
    expect(r.points).toBe(1 + 1 + 2 + 1);
  });

  it('leaves out diagnoses made after asOf and refuted ones', () => {
    const refuted: Condition = { ...icd('I21.0'), verificationStatus: { coding: [{ code: 'refuted' }] } };
    expect(charlsonComorbidities([icd('I21.0', '2026-01-01'), refuted], AS_OF).points).toBe(0);
  });

  it('reports an empty problem list as missing instead of scoring it zero, and refuses no data at all', () => {
    const r = charlson(record({ birthDate: '1950-01-01' }));
    expect(r.missing[0]).toMatch(/Condition/);
    expect(() => charlson(record({}))).toThrow(InsufficientData);
  });
});

describe('CHA2DS2-VASc', () => {
  it('reaches the published maximum of 9', () => {
    const r = cha2ds2Vasc(record({ birthDate: '1940-01-01', gender: 'female', conditions: [icd('I50.9'), icd('I10'), icd('E11.9'), icd('I63.9'), icd('I21.9'), icd('I48.0')] }));
    expect(r.points).toBe(9);
    expect(r.probability).toBeCloseTo(0.152, 5);
  });

  it('scores a 70-year-old woman with hypertension: A 1 + Sc 1 + H 1 = 3 (3.2 %/year, high)', () => {
    const r = cha2ds2Vasc(record({ birthDate: '1955-01-01', gender: 'female', conditions: [icd('I10'), icd('I48.9')] }));
    expect(r.points).toBe(3);
    expect(r.probability).toBeCloseTo(0.032, 5);
    expect(r.qualitative).toBe('high');
  });

  it('scores a 60-year-old man without risk factors 0 (low), and one with diabetes 1 (moderate)', () => {
    expect(cha2ds2Vasc(record({ birthDate: '1965-01-01', gender: 'male', conditions: [icd('I48.9')] })).qualitative).toBe('low');
    const r = cha2ds2Vasc(record({ birthDate: '1965-01-01', gender: 'male', conditions: [icd('I48.9'), sct('44054006')] }));
    expect([r.points, r.qualitative]).toEqual([1, 'moderate']);
  });

  it('counts stroke and TIA 2 points, once', () => {
    const r = cha2ds2Vasc(record({ birthDate: '1965-01-01', gender: 'male', conditions: [icd('I48.9'), icd('I63.5'), icd('G45.9')] }));
    expect(r.points).toBe(2);
  });

  it('names a missing sex or age instead of scoring it 0', () => {
    const r = cha2ds2Vasc(record({ gender: 'unknown', conditions: [icd('I48.9'), icd('I10')] }));
    expect(r.points).toBe(1);
    expect(r.missing.join(' ')).toMatch(/birth date/);
    expect(r.missing.join(' ')).toMatch(/gender/);
  });

  it('has the ESC 2010 rate table for every score', () => {
    expect(ANNUAL_STROKE_RATE).toHaveLength(10);
  });
});

describe('LACE index', () => {
  const enc = (id: string, cls: string, start: string, end: string, admitSource?: string): Encounter => ({
    resourceType: 'Encounter', id, status: 'finished', class: { code: cls }, period: { start, end },
    ...(admitSource ? { hospitalization: { admitSource: { coding: [{ code: admitSource }] } } } : {}),
  });

  it('has the published length-of-stay points', () => {
    expect([0, 1, 2, 3, 4, 6, 7, 13, 14, 30].map(losPoints)).toEqual([0, 1, 2, 3, 4, 4, 5, 5, 7, 7]);
    expect(lengthOfStayDays('2025-03-01T22:00:00Z', '2025-03-02T08:00:00Z')).toBe(1);
    expect(lengthOfStayDays('2025-03-01T08:00:00Z', '2025-03-01T18:00:00Z')).toBe(0);
  });

  it('reaches the published maximum of 19', () => {
    const ed = [1, 2, 3, 4, 5].map((m) => enc(`ed${m}`, 'EMER', `2025-0${m}-01T10:00:00Z`, `2025-0${m}-01T14:00:00Z`));
    const r = lace(record({
      encounters: [...ed, enc('stay', 'IMP', '2025-06-01T10:00:00Z', '2025-06-20T10:00:00Z', 'emd')],
      conditions: [icd('C78.0')],
    }));
    expect(r.points).toBe(7 + 3 + 5 + 4);
  });

  it('scores a 5-day emergent stay, Charlson 2, one prior ED visit: 4 + 3 + 2 + 1 = 10 (high)', () => {
    const r = lace(record({
      encounters: [
        enc('ed-old', 'EMER', '2025-02-10T10:00:00Z', '2025-02-10T15:00:00Z'),
        enc('ed-leading', 'EMER', '2025-05-31T20:00:00Z', '2025-06-01T02:00:00Z'),
        enc('stay', 'IMP', '2025-06-01T03:00:00Z', '2025-06-06T11:00:00Z'),
        enc('ed-too-old', 'EMER', '2024-10-01T10:00:00Z', '2024-10-01T12:00:00Z'),
      ],
      conditions: [icd('N18.9')],
    }));
    expect(r.points).toBe(10);
    expect(r.qualitative).toBe('high');
    expect(r.components.find((c) => c.name.startsWith('Emergency'))!.basis).toEqual(['Encounter/ed-old']);
  });

  it('names an unknown acuity and an empty problem list instead of scoring them 0', () => {
    const r = lace(record({ encounters: [enc('stay', 'IMP', '2025-06-01T03:00:00Z', '2025-06-03T11:00:00Z')] }));
    expect(r.points).toBe(2);
    expect(r.missing).toHaveLength(2);
  });

  it('refuses a patient without an inpatient stay', () => {
    expect(() => lace(record({ encounters: [enc('x', 'AMB', '2025-06-01T03:00:00Z', '2025-06-01T04:00:00Z')] }))).toThrow(/inpatient Encounter/);
  });
});

describe('NEWS2', () => {
  const obs = (id: string, code: string, value: number, unit: string): Observation => ({
    resourceType: 'Observation', id, status: 'final', effectiveDateTime: '2025-06-30T08:00:00Z',
    code: { coding: [{ system: 'http://loinc.org', code }] }, valueQuantity: { value, code: unit },
  });
  const avpu = (text: string): Observation => ({
    resourceType: 'Observation', id: 'avpu', status: 'final', effectiveDateTime: '2025-06-30T08:00:00Z',
    code: { coding: [{ system: 'http://loinc.org', code: '80288-4' }] }, valueCodeableConcept: { text },
  });

  it('bands each parameter as Chart 1', () => {
    expect([8, 9, 11, 12, 20, 21, 24, 25].map((v) => bandPoints('respiratoryRate', v))).toEqual([3, 1, 1, 0, 0, 2, 2, 3]);
    expect([91, 92, 93, 94, 95, 96].map((v) => bandPoints('oxygenSaturation', v))).toEqual([3, 2, 2, 1, 1, 0]);
    expect([90, 91, 100, 101, 110, 111, 219, 220].map((v) => bandPoints('systolicBloodPressure', v))).toEqual([3, 2, 2, 1, 1, 0, 0, 3]);
    expect([40, 41, 50, 51, 90, 91, 110, 111, 130, 131].map((v) => bandPoints('heartRate', v))).toEqual([3, 1, 1, 0, 0, 1, 1, 2, 2, 3]);
    expect([35.0, 35.1, 36.0, 36.1, 38.0, 38.1, 39.0, 39.1].map((v) => bandPoints('temperature', v))).toEqual([3, 1, 1, 0, 0, 1, 1, 2]);
  });

  const full = (over: Partial<PatientRecord['vitals']> = {}): PatientRecord['vitals'] => ({
    respiratoryRate: obs('rr', '9279-1', 16, '/min'),
    oxygenSaturation: obs('spo2', '2708-6', 97, '%'),
    supplementalOxygen: obs('o2', '3151-8', 0, 'L/min'),
    systolicBloodPressure: { ...obs('bp', '85354-9', 0, ''), valueQuantity: undefined, component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 125, code: 'mm[Hg]' } }] },
    heartRate: obs('hr', '8867-4', 72, '/min'),
    consciousness: avpu('Alert'),
    temperature: obs('t', '8310-5', 36.8, 'Cel'),
    ...over,
  });

  it('scores normal observations 0 (low), complete and final', () => {
    const r = news2(record({ vitals: full() }));
    expect([r.points, r.qualitative, r.missing]).toEqual([0, 'low', []]);
  });

  it('scores a deteriorating patient: RR 22 (2), SpO2 93 (2), oxygen (2), SBP 105 (1), pulse 115 (2), alert (0), 38.5 C (1) = 10, high', () => {
    const r = news2(record({ vitals: full({
      respiratoryRate: obs('rr', '9279-1', 22, '/min'), oxygenSaturation: obs('spo2', '2708-6', 93, '%'), supplementalOxygen: obs('o2', '3151-8', 2, 'L/min'),
      systolicBloodPressure: obs('sbp', '8480-6', 105, 'mm[Hg]'), heartRate: obs('hr', '8867-4', 115, '/min'), temperature: obs('t', '8310-5', 101.3, '[degF]'),
    }) }));
    expect(r.points).toBe(10);
    expect(r.qualitative).toBe('high');
  });

  it('treats a single parameter scoring 3 as low-medium even with a low total', () => {
    const r = news2(record({ vitals: full({ consciousness: avpu('Voice') }) }));
    expect(r.points).toBe(3);
    expect(r.qualitative).toBe('moderate');
    expect(r.remarks[0]).toMatch(/low-medium/);
  });

  it('names missing parameters (never scores them 0) and refuses a record without vital signs', () => {
    const r = news2(record({ vitals: { respiratoryRate: obs('rr', '9279-1', 26, '/min') } }));
    expect(r.points).toBe(3);
    expect(r.missing).toHaveLength(6);
    expect(() => news2(record({}))).toThrow(InsufficientData);
  });
});
