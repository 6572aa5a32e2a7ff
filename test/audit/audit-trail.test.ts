// The audit trail end to end, on both engines: accesses through HTTP (the read fast path, search,
// create, a refused token) become AuditEvents in the BALP shape, written in batches after the
// answers went out; administrators find them by patient, agent and date; nobody writes or deletes
// them through the API, and other callers cannot read them.
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { localKeySource } from '../../src/auth/verify-token';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { makeIssuer, TEST_BASE } from '../support/tokens';

const FHIR = 'application/fhir+json';

describeEachEngine('audit trail', (factory) => {
  let t: TestServer;
  let admin: string;
  let patientA: string;
  let practitioner: string;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const events = (b: Bundle) => (b.entry ?? []).map((e) => e.resource as AuditEvent);

  beforeAll(async () => {
    const issuer = await makeIssuer();
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE }, overrides: { smartKeys: localKeySource(issuer.jwks) } });
    admin = await issuer.token({ scope: 'system/*.*', client_id: 'ops' });
    patientA = await issuer.token({ scope: 'patient/*.cruds', patient: 'pa', fhirUser: 'Practitioner/doc', client_id: 'chart-app' });
    // No patient in context: the patient of what it reads comes from the resources themselves.
    practitioner = await issuer.token({ scope: 'user/*.rs', fhirUser: 'Practitioner/nurse', client_id: 'ward-app' });
    for (const r of [
      { resourceType: 'Patient', id: 'pa' },
      { resourceType: 'Patient', id: 'pb' },
      { resourceType: 'Practitioner', id: 'nurse' },
      { resourceType: 'Observation', id: 'obs-a', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/pa' } },
      { resourceType: 'Observation', id: 'obs-b', status: 'final', code: { text: 'z' }, subject: { reference: 'Patient/pb' } },
      { resourceType: 'Encounter', id: 'enc-b', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pb' } },
    ]) {
      expect((await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set({ ...bearer(admin), 'Content-Type': FHIR }).send(JSON.stringify(r))).status).toBe(201);
    }
    expect((await t.http.get('/fhir/Observation/obs-a').set(bearer(patientA))).status).toBe(200); // fast path
    expect((await t.http.get('/fhir/Observation?code:text=x').set(bearer(patientA))).status).toBe(200);
    expect((await t.http.get('/fhir/Observation').set(bearer(patientA))).status).toBe(200);
    expect((await t.http.get('/fhir/Observation/obs-a/_history').set(bearer(patientA))).status).toBe(200);
    const created = await t.http.post('/fhir/Observation').set({ ...bearer(patientA), 'Content-Type': FHIR }).send(JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/pa' } }));
    expect(created.status).toBe(201);
    expect((await t.http.get('/fhir/Observation/obs-a').set('Authorization', 'Bearer not-a-token')).status).toBe(401);
    expect((await t.http.get('/fhir/Observation/obs-b').set(bearer(practitioner))).status).toBe(200); // fast path
    expect((await t.http.get('/fhir/Encounter/enc-b/_history/1').set(bearer(practitioner))).status).toBe(200);
    expect((await t.http.get('/fhir/Observation?code:text=z').set(bearer(practitioner))).status).toBe(200);
    expect((await t.http.get('/fhir/Observation?_sort=_id').set(bearer(practitioner))).status).toBe(200);
    expect((await t.http.get('/fhir/Practitioner/nurse').set(bearer(practitioner))).status).toBe(200);
    await t.server.services.audit!.flush();
  });
  afterAll(() => t.close());

  it('records each access as a BALP-shaped AuditEvent an administrator finds by patient', async () => {
    const res = await t.http.get('/fhir/AuditEvent?patient=pa&_count=100').set(bearer(admin));
    expect(res.status).toBe(200);
    const found = events(res.body);
    const bySubtype = (code: string) => found.filter((e) => e.subtype?.[0]?.code === code);
    const read = bySubtype('read').find((e) => e.agent.some((a) => a.who?.reference === 'Practitioner/doc'));
    expect(read).toMatchObject({
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      action: 'R',
      outcome: '0',
      source: { observer: { display: 'Nimbus FHIR' } },
    });
    expect(read!.agent.find((a) => a.altId === 'chart-app')?.network?.address).toBeDefined();
    expect(read!.entity?.map((e) => e.what?.reference)).toEqual(expect.arrayContaining(['Observation/obs-a', 'Patient/pa']));
    const search = bySubtype('search-type')[0];
    expect(search.action).toBe('E');
    expect(Buffer.from(search.entity!.find((e) => e.role?.code === '24')!.query!, 'base64').toString()).toBe('code:text=x');
    const create = bySubtype('create')[0];
    expect(create.action).toBe('C');
    expect(create.entity?.some((e) => /^Observation\//.test(e.what?.reference ?? ''))).toBe(true);
  });

  it('names the patient of a non-Patient resource read or found without a patient in context', async () => {
    const mine = events((await t.http.get('/fhir/AuditEvent?agent=Practitioner/nurse&_count=100').set(bearer(admin))).body);
    const patientsOf = (e: AuditEvent) => (e.entity ?? []).filter((x) => x.role?.code === '1').map((x) => x.what?.reference).sort();
    const of = (subtype: string, resource?: string) =>
      mine.filter((e) => e.subtype?.[0]?.code === subtype && (!resource || e.entity?.some((x) => x.what?.reference === resource)));
    // A read (on the fast path) and a vread: the Observation's subject, the Encounter's subject.
    expect(of('read', 'Observation/obs-b').map(patientsOf)).toEqual([['Patient/pb']]);
    expect(of('vread', 'Encounter/enc-b').map(patientsOf)).toEqual([['Patient/pb']]);
    // Searches: the patients of what they found (one, then both).
    const searches = of('search-type').map((e) => [Buffer.from(e.entity!.find((x) => x.role?.code === '24')!.query!, 'base64').toString(), patientsOf(e)]);
    expect(searches).toEqual(expect.arrayContaining([['code:text=z', ['Patient/pb']], ['_sort=_id', ['Patient/pa', 'Patient/pb']]]));
    // A resource outside every patient's compartment names no patient.
    expect(of('read', 'Practitioner/nurse').map(patientsOf)).toEqual([[]]);
    // And AuditEvent?patient= finds the practitioner's accesses to that patient's data.
    const forB = events((await t.http.get('/fhir/AuditEvent?patient=pb&agent=Practitioner/nurse&_count=100').set(bearer(admin))).body);
    expect(forB.map((e) => e.subtype?.[0]?.code).sort()).toEqual(['read', 'search-type', 'search-type', 'vread']);
  });

  it('stores only events the R4 validator accepts (they skip it on the way in)', async () => {
    const all = events((await t.http.get('/fhir/AuditEvent?_count=1000').set(bearer(admin))).body);
    expect(all.length).toBeGreaterThan(4);
    for (const e of all) {
      const problems = t.server.services.core.validator.validate(e, 'AuditEvent').filter((i) => i.severity === 'error' || i.severity === 'fatal');
      expect([e.subtype?.[0]?.code, problems]).toEqual([e.subtype?.[0]?.code, []]);
    }
  });

  it('records refused tokens as failures', async () => {
    const res = await t.http.get('/fhir/AuditEvent?outcome=4&_count=100').set(bearer(admin));
    const refused = events(res.body).find((e) => e.outcomeDesc === 'HTTP 401');
    expect(refused).toBeDefined();
    expect(refused!.agent[0].who?.display).toBe('anonymous');
  });

  it('is searchable by agent and by date', async () => {
    const byAgent = events((await t.http.get('/fhir/AuditEvent?agent=Practitioner/doc&_count=100').set(bearer(admin))).body);
    expect(byAgent.length).toBeGreaterThanOrEqual(3);
    expect(byAgent.every((e) => e.agent.some((a) => a.who?.reference === 'Practitioner/doc'))).toBe(true);
    const byClient = events((await t.http.get('/fhir/AuditEvent?altid=chart-app&_count=100').set(bearer(admin))).body);
    expect(byClient.length).toBe(byAgent.length);
    const today = new Date().toISOString().slice(0, 10);
    expect(events((await t.http.get(`/fhir/AuditEvent?date=ge${today}&_count=100`).set(bearer(admin))).body).length).toBeGreaterThan(3);
    expect(events((await t.http.get('/fhir/AuditEvent?date=lt2000-01-01').set(bearer(admin))).body)).toEqual([]);
  });

  it('is never writable or deletable by clients, and readable by administrators only', async () => {
    const some = events((await t.http.get('/fhir/AuditEvent?_count=1').set(bearer(admin))).body)[0];
    const event = { ...some, id: undefined, meta: undefined };
    for (const token of [admin, patientA]) {
      expect((await t.http.post('/fhir/AuditEvent').set({ ...bearer(token), 'Content-Type': FHIR }).send(JSON.stringify(event))).status).toBe(403);
      expect((await t.http.put(`/fhir/AuditEvent/${some.id}`).set({ ...bearer(token), 'Content-Type': FHIR }).send(JSON.stringify({ ...some, outcome: '0' }))).status).toBe(403);
      expect((await t.http.delete(`/fhir/AuditEvent/${some.id}`).set(bearer(token))).status).toBe(403);
    }
    const asPatient = await t.http.get('/fhir/AuditEvent?patient=pa').set(bearer(patientA));
    expect([asPatient.status, asPatient.body.issue?.[0]?.code]).toEqual([403, 'forbidden']);
    expect((await t.http.get(`/fhir/AuditEvent/${some.id}`).set(bearer(patientA))).status).toBe(403);
  });
});
