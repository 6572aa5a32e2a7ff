// Writes are validated against the profiles they claim (meta.profile) that the server knows; an
// unknown profile is a warning, or refused with NIMBUS_STRICT_PROFILES=true; Prefer:
// handling=lenient weakens nothing. Both engines.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const NIMBUS_PATIENT = 'http://nimbus-fhir.org/fhir/StructureDefinition/nimbus-patient';
const patient = (profile: string, withMrn: boolean) => ({
  resourceType: 'Patient',
  meta: { profile: [profile] },
  ...(withMrn ? { identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:oid:1.2.3', value: '42' }] } : {}),
  name: [{ family: 'Chalmers' }],
  gender: 'male',
  birthDate: '1974-12-25',
});
const messageIds = (body: { issue?: Array<{ extension?: Array<{ valueString: string }> }> }) => (body.issue ?? []).map((i) => i.extension?.[0]?.valueString);

describeEachEngine('profiles on write', (factory) => {
  let t: TestServer;
  let strict: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    strict = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_STRICT_PROFILES: 'true' } });
  });
  afterAll(async () => {
    await t.close();
    await strict.close();
  });

  it('a resource that breaks a profile it claims is refused, with the slice named', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send(JSON.stringify(patient(NIMBUS_PATIENT, false)));
    expect(res.status).toBe(400);
    expect(messageIds(res.body)).toContain('SLICE_MIN');
    expect(res.body.issue.find((i: { diagnostics: string }) => /mrn/.test(i.diagnostics)).expression).toEqual(['Patient.identifier']);
    expect((await t.http.post('/fhir/Patient').set('Content-Type', FHIR).send(JSON.stringify(patient(NIMBUS_PATIENT, true)))).status).toBe(201);
  });

  it('Prefer: handling=lenient does not weaken write validation', async () => {
    const res = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).set('Prefer', 'handling=lenient').send(JSON.stringify(patient(NIMBUS_PATIENT, false)));
    expect(res.status).toBe(400);
  });

  it('an unknown profile is a warning by default, an error when profiles are strict', async () => {
    const unknown = patient('http://example.org/fhir/StructureDefinition/not-known', true);
    const lax = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).set('Prefer', 'return=OperationOutcome').send(JSON.stringify(unknown));
    expect(lax.status).toBe(201);
    const refused = await strict.http.post('/fhir/Patient').set('Content-Type', FHIR).send(JSON.stringify(unknown));
    expect(refused.status).toBe(400);
    expect(messageIds({ issue: refused.body.issue.filter((i: { severity: string }) => i.severity === 'error') })).toEqual(['PROFILE_UNKNOWN']);
    expect((await strict.http.post('/fhir/Patient').set('Content-Type', FHIR).send(JSON.stringify(patient(NIMBUS_PATIENT, true)))).status).toBe(201);
  });

  it('profiles of fhir-profiles/ are readable and listed as supported profiles', async () => {
    expect((await t.http.get('/fhir/StructureDefinition/nimbus-patient')).body.url).toBe(NIMBUS_PATIENT);
    const cs = await t.http.get('/fhir/metadata');
    const patientEntry = cs.body.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patientEntry.supportedProfile).toContain(NIMBUS_PATIENT);
  });
});
