// A token for patient A never sees anything of patient B, through every path that reads or writes
// data — with real signed tokens, real scopes and a real engine (both engines). Each check also
// runs with an administrator's token, so a path that found nothing for another reason (a typo in
// the URL, a search that matches nothing anyway) would make the test fail rather than pass.
import { localKeySource } from '../../src/auth/verify-token';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { makeIssuer, TEST_BASE, type TestIssuer } from '../support/tokens';

// Dozens of searches per test, each also run as the administrator: minutes on FerretDB on a busy machine.
jest.setTimeout(180_000);

const FHIR = 'application/fhir+json';
const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] };
const VITALS = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] };

const observation = (id: string, patient: string, category = LAB) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  category: [category],
  code: { coding: [{ system: 'http://loinc.org', code: `code-${id}` }] },
  identifier: [{ system: 'urn:ident', value: id }],
  subject: { reference: `Patient/${patient}` },
});

const SEED = [
  { resourceType: 'Patient', id: 'pa', name: [{ family: 'Alpha' }] },
  { resourceType: 'Patient', id: 'pb', name: [{ family: 'Bravo' }] },
  { resourceType: 'Practitioner', id: 'doc', name: [{ family: 'Shared' }] },
  observation('obs-a', 'pa'),
  observation('obs-a-vital', 'pa', VITALS),
  observation('obs-b', 'pb'),
  // A's report cites B's result (a filing error): including or chaining through it must not reveal obs-b.
  { resourceType: 'DiagnosticReport', id: 'dr-a', status: 'final', code: { text: 'panel' }, subject: { reference: 'Patient/pa' }, result: [{ reference: 'Observation/obs-a' }, { reference: 'Observation/obs-b' }] },
  { resourceType: 'DiagnosticReport', id: 'dr-b', status: 'final', code: { text: 'panel' }, subject: { reference: 'Patient/pb' }, result: [{ reference: 'Observation/obs-b' }] },
  { resourceType: 'Encounter', id: 'enc-b', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pb' } },
  { resourceType: 'Basic', id: 'basic-b', code: { text: 'b' }, subject: { reference: 'Patient/pb' } },
];

type Bundle = { entry?: Array<{ resource?: { resourceType: string; id: string }; response?: { status: string } }> };
const ids = (b: Bundle) => (b.entry ?? []).filter((e) => e.resource).map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);
const B = new Set(['Patient/pb', 'Observation/obs-b', 'DiagnosticReport/dr-b', 'Encounter/enc-b', 'Basic/basic-b']);
/** Whether any resource of B is among the bundle's (A's own resources may cite B's: that is A's data). */
const mentionsB = (bundle: Bundle) => ids(bundle).some((id) => B.has(id));

describeEachEngine('patient A never sees patient B', (factory) => {
  let t: TestServer;
  let issuer: TestIssuer;
  let tokens: Record<'admin' | 'patientA' | 'patientUserA' | 'practitioner' | 'labOnly' | 'observationsOnly' | 'readOnly' | 'searchOnly' | 'createOnly' | 'updateOnly', string>;

  const as = (who: keyof typeof tokens) => {
    const auth = () => ({ Authorization: `Bearer ${tokens[who]}` });
    return {
      get: (url: string) => t.http.get(url).set(auth()),
      post: (url: string, body: unknown, headers: Record<string, string> = {}) => t.http.post(url).set({ ...auth(), 'Content-Type': FHIR, ...headers }).send(JSON.stringify(body)),
      put: (url: string, body: unknown) => t.http.put(url).set({ ...auth(), 'Content-Type': FHIR }).send(JSON.stringify(body)),
      patch: (url: string, body: unknown) => t.http.patch(url).set({ ...auth(), 'Content-Type': 'application/json-patch+json' }).send(JSON.stringify(body)),
      delete: (url: string) => t.http.delete(url).set(auth()),
    };
  };
  const admin = as('admin');
  const a = as('patientA');

  beforeAll(async () => {
    issuer = await makeIssuer();
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE }, overrides: { smartKeys: localKeySource(issuer.jwks) } });
    tokens = {
      admin: await issuer.token({ scope: 'system/*.*', client_id: 'ops' }),
      patientA: await issuer.token({ scope: 'launch/patient patient/*.cruds openid fhirUser', patient: 'pa', fhirUser: 'Practitioner/doc' }),
      patientUserA: await issuer.token({ scope: 'user/*.*', fhirUser: 'Patient/pa' }),
      practitioner: await issuer.token({ scope: 'user/*.read', fhirUser: 'Practitioner/doc' }),
      labOnly: await issuer.token({ scope: 'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory', patient: 'pa' }),
      observationsOnly: await issuer.token({ scope: 'patient/Observation.read', patient: 'pa' }),
      readOnly: await issuer.token({ scope: 'patient/Observation.r', patient: 'pa' }),
      searchOnly: await issuer.token({ scope: 'patient/Observation.s', patient: 'pa' }),
      createOnly: await issuer.token({ scope: 'patient/Observation.c', patient: 'pa' }),
      updateOnly: await issuer.token({ scope: 'patient/Observation.ru', patient: 'pa' }),
    };
    for (const r of SEED) expect([r.id, (await admin.put(`/fhir/${r.resourceType}/${r.id}`, r)).status]).toEqual([r.id, 201]);
    // A second version of B's Observation, for history and vread.
    expect((await admin.put('/fhir/Observation/obs-b', { ...observation('obs-b', 'pb'), status: 'amended' })).status).toBe(200);
  });
  afterAll(() => t.close());

  it('reads B by id as 404 on the fast path, the Express route, vread and instance history', async () => {
    for (const url of [
      '/fhir/Observation/obs-b',
      '/fhir/Patient/pb',
      '/fhir/Observation/obs-b?_summary=false',
      '/fhir/Observation/obs-b/_history/1',
      '/fhir/Observation/obs-b/_history/2',
    ]) {
      const res = await a.get(url);
      expect([url, res.status, res.body.issue?.[0]?.code]).toEqual([url, 404, 'not-found']);
      expect((await admin.get(url)).status).toBe(200);
    }
    const history = await a.get('/fhir/Observation/obs-b/_history');
    expect(ids(history.body)).toEqual([]);
    expect(ids((await admin.get('/fhir/Observation/obs-b/_history')).body)).toHaveLength(2);
    expect((await a.get('/fhir/Observation/obs-a')).status).toBe(200);
    expect((await a.get('/fhir/Patient/pa')).status).toBe(200);
  });

  it('never meets B in type and system history', async () => {
    for (const url of ['/fhir/Observation/_history?_count=100', '/fhir/_history?_count=100', '/fhir/Patient/_history?_count=100']) {
      const res = await a.get(url);
      expect([url, res.status, mentionsB(res.body)]).toEqual([url, 200, false]);
      expect(ids(res.body).length).toBeGreaterThan(0);
      expect(mentionsB((await admin.get(url)).body)).toBe(true);
    }
  });

  it('never meets B in searches: plain, _include, _revinclude, :iterate, chains, _has, _type, compartments', async () => {
    const cases: Array<[string, string[]]> = [
      ['/fhir/Observation?_sort=_id', ['Observation/obs-a', 'Observation/obs-a-vital']],
      ['/fhir/Observation?subject=Patient/pb', []],
      ['/fhir/Observation?_id=obs-b', []],
      ['/fhir/Patient?_sort=_id', ['Patient/pa']],
      ['/fhir/DiagnosticReport?_include=DiagnosticReport:result&_sort=_id', ['DiagnosticReport/dr-a', 'Observation/obs-a']],
      ['/fhir/DiagnosticReport?_include=DiagnosticReport:result&_include:iterate=Observation:subject&_sort=_id', ['DiagnosticReport/dr-a', 'Observation/obs-a', 'Patient/pa']],
      ['/fhir/Patient?_revinclude=Observation:subject&_revinclude=DiagnosticReport:subject&_sort=_id', ['Patient/pa', 'Observation/obs-a', 'Observation/obs-a-vital', 'DiagnosticReport/dr-a']],
      ['/fhir/Observation?subject:Patient.name=Bravo', []],
      ['/fhir/DiagnosticReport?result:Observation.identifier=urn:ident|obs-b', []],
      ['/fhir/Patient?_has:Observation:subject:identifier=urn:ident|obs-b', []],
      ['/fhir/Patient/pb/Observation', []],
      // A page large enough for B's members beside the AuditEvents of B's compartment the admin also sees.
      ['/fhir/Patient/pb/*?_count=200', []],
      ['/fhir/Encounter', []],
      ['/fhir/Basic', []],
    ];
    for (const [url, expected] of cases) {
      const res = await a.get(url);
      const got = ids(res.body);
      expect([url, res.status, url.includes('iterate') || url.includes('revinclude') ? got.sort() : got]).toEqual([url, 200, url.includes('iterate') || url.includes('revinclude') ? [...expected].sort() : expected]);
      expect(mentionsB(res.body)).toBe(false);
      // The administrator meets B on the same URL (or, for the compartment of B, its members).
      expect([url, mentionsB((await admin.get(url)).body)]).toEqual([url, true]);
    }
    for (const url of ['/fhir/?_type=Observation,Patient,DiagnosticReport,Encounter&_count=100', '/fhir/?_count=200']) {
      const res = await a.get(url);
      expect([url, res.status, mentionsB(res.body)]).toEqual([url, 200, false]);
      expect(ids(res.body)).toContain('Observation/obs-a');
      expect(mentionsB((await admin.get(url)).body)).toBe(true);
    }
  });

  it('authorises each batch entry on its own', async () => {
    const res = await a.post('/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: 'Observation/obs-b' } },
        { request: { method: 'GET', url: 'Observation?subject=Patient/pb' } },
        { request: { method: 'GET', url: 'Observation/obs-b/_history/1' } },
        { request: { method: 'GET', url: 'Observation/obs-a' } },
        { request: { method: 'POST', url: 'Observation' }, resource: observation('new-b', 'pb') },
        { request: { method: 'DELETE', url: 'Observation/obs-b' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3))).toEqual(['404', '200', '404', '200', '403', '204']);
    expect(mentionsB(res.body.entry[1].resource)).toBe(false);
    expect((await admin.get('/fhir/Observation/obs-b')).status).toBe(200);
    expect(ids((await admin.get('/fhir/Observation?identifier=urn:ident|new-b')).body)).toEqual([]);
  });

  it('refuses a transaction that writes into B, writing nothing', async () => {
    const res = await a.post('/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:6f1b2a4e-0000-4000-8000-000000000001', request: { method: 'POST', url: 'Observation' }, resource: observation('tx-a', 'pa') },
        { fullUrl: 'urn:uuid:6f1b2a4e-0000-4000-8000-000000000002', request: { method: 'POST', url: 'Observation' }, resource: observation('tx-b', 'pb') },
      ],
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    for (const id of ['tx-a', 'tx-b']) expect(ids((await admin.get(`/fhir/Observation?identifier=urn:ident|${id}`)).body)).toEqual([]);
  });

  it('learns nothing from conditional create, update, patch and delete whose criteria match only B', async () => {
    // Conditional create: B's match does not count, exactly as for criteria that match nothing.
    const created = await a.post('/fhir/Observation', observation('x', 'pa'), { 'If-None-Exist': 'identifier=urn:ident|obs-b' });
    const createdNone = await a.post('/fhir/Observation', observation('x', 'pa'), { 'If-None-Exist': 'identifier=urn:ident|nothing-at-all' });
    expect([created.status, createdNone.status]).toEqual([201, 201]);
    // Conditional update: creates A's own resource instead of touching B's.
    const updated = await a.put('/fhir/Observation?identifier=urn:ident|obs-b', { ...observation('obs-b', 'pa'), id: undefined });
    expect(updated.status).toBe(201);
    // Conditional patch: as if nothing matched.
    const patch = [{ op: 'replace', path: '/status', value: 'cancelled' }];
    expect([(await a.patch('/fhir/Observation?identifier=urn:ident|obs-b&subject=Patient/pb', patch)).status, (await a.patch('/fhir/Observation?identifier=urn:ident|nothing', patch)).status]).toEqual([404, 404]);
    // Conditional delete: deletes nothing of B's.
    expect((await a.delete('/fhir/Observation?identifier=urn:ident|obs-b&subject=Patient/pb')).status).toBe(204);
    const b = await admin.get('/fhir/Observation/obs-b');
    expect([b.status, b.body.status, b.body.meta.versionId]).toEqual([200, 'amended', '2']);
  });

  it('cannot write into B: create, update, move, patch, delete', async () => {
    const create = await a.post('/fhir/Observation', observation('into-b', 'pb'));
    expect([create.status, create.body.issue?.[0]?.code]).toEqual([403, 'forbidden']);
    expect((await a.put('/fhir/Observation/new-in-b', observation('new-in-b', 'pb'))).status).toBe(403);
    expect((await a.put('/fhir/Observation/obs-b', observation('obs-b', 'pa'))).status).toBe(404);
    expect((await a.put('/fhir/Observation/obs-a', observation('obs-a', 'pb'))).status).toBe(403);
    expect((await a.patch('/fhir/Observation/obs-a', [{ op: 'replace', path: '/subject/reference', value: 'Patient/pb' }])).status).toBe(403);
    expect((await a.patch('/fhir/Observation/obs-b', [{ op: 'replace', path: '/status', value: 'cancelled' }])).status).toBe(404);
    expect((await a.delete('/fhir/Observation/obs-b')).status).toBe(204); // as for any absent resource: nothing deleted
    expect((await admin.get('/fhir/Observation/obs-b')).status).toBe(200);
    expect((await admin.get('/fhir/Observation/obs-a')).body.subject.reference).toBe('Patient/pa');
    expect((await admin.get('/fhir/Observation/new-in-b')).status).toBe(404);
    // A's own writes go through.
    expect((await a.post('/fhir/Observation', observation('a-new', 'pa'))).status).toBe(201);
  });

  it('hides B from operations: $meta, $validate, $meta-add; $reindex is for administrators', async () => {
    expect((await a.get('/fhir/Observation/obs-b/$meta')).status).toBe(404);
    expect((await a.get('/fhir/Observation/obs-a/$meta')).status).toBe(200);
    expect((await a.post('/fhir/Observation/obs-b/$validate', { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] })).status).toBe(404);
    const tag = { resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: { tag: [{ system: 'urn:t', code: 'x' }] } }] };
    expect((await a.post('/fhir/Observation/obs-b/$meta-add', tag)).status).toBe(404);
    const reindex = await a.post('/fhir/Observation/$reindex', { resourceType: 'Parameters', parameter: [] });
    expect([reindex.status, reindex.body.issue?.[0]?.code]).toEqual([403, 'forbidden']);
    expect((await admin.post('/fhir/Observation/$reindex', { resourceType: 'Parameters', parameter: [] })).status).toBe(200);
  });

  it('lets a patient user with user/ scopes see only their own compartment', async () => {
    const user = as('patientUserA');
    expect((await user.get('/fhir/Observation/obs-b')).status).toBe(404);
    expect((await user.get('/fhir/Observation/obs-a')).status).toBe(200);
    expect(ids((await user.get('/fhir/Patient?_sort=_id')).body)).toEqual(['Patient/pa']);
    expect((await user.post('/fhir/Observation', observation('u-b', 'pb'))).status).toBe(403);
  });

  it('lets a practitioner with user/*.read see both patients but write nothing', async () => {
    const doc = as('practitioner');
    expect((await doc.get('/fhir/Observation/obs-b')).status).toBe(200);
    expect(ids((await doc.get('/fhir/Patient?_sort=_id')).body)).toEqual(['Patient/pa', 'Patient/pb']);
    expect((await doc.post('/fhir/Observation', observation('d', 'pa'))).status).toBe(403);
  });

  it('applies granular v2 scopes as search filters', async () => {
    const lab = as('labOnly');
    expect((await lab.get('/fhir/Observation/obs-a')).status).toBe(200);
    expect((await lab.get('/fhir/Observation/obs-a-vital')).status).toBe(404);
    expect(ids((await lab.get('/fhir/Observation?_sort=_id')).body)).not.toContain('Observation/obs-a-vital');
    expect((await lab.get('/fhir/Condition')).status).toBe(403);
  });

  it('answers 403 with an OperationOutcome for what the scopes do not grant, 404 for what is out of reach', async () => {
    const obs = as('observationsOnly');
    const condition = await obs.get('/fhir/Condition?patient=pa');
    expect([condition.status, condition.body.resourceType, condition.body.issue[0].code]).toEqual([403, 'OperationOutcome', 'forbidden']);
    expect(condition.body.issue[0].diagnostics).toMatch(/grant no search access to Condition/);
    expect((await obs.post('/fhir/Observation', observation('o', 'pa'))).status).toBe(403);
    expect((await obs.get('/fhir/Observation/obs-b')).status).toBe(404);
    // Shared, non-patient types are readable; types that may hold anyone's data are not.
    expect((await a.get('/fhir/Practitioner/doc')).status).toBe(200);
    expect((await a.get('/fhir/Bundle')).status).toBe(403);
    expect((await a.put('/fhir/Practitioner/doc', { resourceType: 'Practitioner', id: 'doc' })).status).toBe(403);
  });

  it('tells the v2 letters apart: r reads, s searches, c creates, u updates, d deletes', async () => {
    const r = as('readOnly');
    expect((await r.get('/fhir/Observation/obs-a')).status).toBe(200);
    expect((await r.get('/fhir/Observation/obs-a/_history/1')).status).toBe(200);
    expect((await r.get('/fhir/Observation?_id=obs-a')).status).toBe(403);
    const s = as('searchOnly');
    expect((await s.get('/fhir/Observation/obs-a')).status).toBe(403);
    const found = ids((await s.get('/fhir/Observation?_count=100')).body);
    expect(found).toEqual(expect.arrayContaining(['Observation/obs-a', 'Observation/obs-a-vital']));
    expect(found).not.toContain('Observation/obs-b');
    const c = as('createOnly');
    expect((await c.post('/fhir/Observation', observation('c-only', 'pa'))).status).toBe(201);
    expect((await c.put('/fhir/Observation/obs-a', observation('obs-a', 'pa'))).status).toBe(403);
    const u = as('updateOnly');
    expect((await u.put('/fhir/Observation/obs-a', { ...observation('obs-a', 'pa'), status: 'amended' })).status).toBe(200);
    expect((await u.post('/fhir/Observation', observation('u-only', 'pa'))).status).toBe(403);
    expect((await u.delete('/fhir/Observation/obs-a')).status).toBe(403);
  });
});
