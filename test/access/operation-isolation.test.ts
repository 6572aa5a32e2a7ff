// A SMART token for patient A never sees or changes anything of patient B through the operations:
// $everything, $lastn, $stats, $population-stats, $evaluate-measure, Bulk Data $export (Patient,
// Group and system level), the scheduling operations ($find, $hold, $book, $cancel, $reschedule),
// $validate, $meta and $versions — with real signed tokens and real SMART scopes, on both engines.
// Every check that finds "nothing of B" for A is also run with an administrator's token, which
// must meet B: a URL that finds nothing for another reason would fail the test rather than pass it.
import { localKeySource } from '../../src/auth/verify-token';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { makeIssuer, TEST_BASE } from '../support/tokens';

jest.setTimeout(300_000);

const FHIR = 'application/fhir+json';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const WEIGHT = { coding: [{ system: 'http://loinc.org', code: '29463-7' }] };
const weight = (id: string, patient: string, value: number, day: number) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: WEIGHT,
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: `2025-01-0${day}T10:00:00Z`,
  valueQuantity: { value, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
});
const PPRF = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }];
const slot = (id: string, hour: number) => ({
  resourceType: 'Slot',
  id,
  schedule: { reference: 'Schedule/clinic' },
  status: 'free',
  start: `2999-01-01T${String(hour).padStart(2, '0')}:00:00Z`,
  end: `2999-01-01T${String(hour).padStart(2, '0')}:30:00Z`,
});
const appointmentFor = (patient: string, ...slots: string[]) => ({
  resourceType: 'Appointment',
  status: 'proposed',
  slot: slots.map((s) => ({ reference: `Slot/${s}` })),
  participant: [
    { status: 'accepted', type: PPRF, actor: { reference: 'Practitioner/doc' } },
    { status: 'accepted', actor: { reference: `Patient/${patient}` } },
  ],
});
const parameters = (name: string, resource: Json) => ({ resourceType: 'Parameters', parameter: [{ name, resource }] });

const SEED: Json[] = [
  { resourceType: 'Patient', id: 'pa', gender: 'female', birthDate: '1980-01-01', name: [{ family: 'Alpha' }] },
  { resourceType: 'Patient', id: 'pb', gender: 'female', birthDate: '1980-01-01', name: [{ family: 'Bravo' }] },
  { resourceType: 'Practitioner', id: 'doc' },
  weight('a1', 'pa', 60, 1),
  weight('a2', 'pa', 62, 2),
  weight('b1', 'pb', 90, 1),
  weight('b2', 'pb', 92, 2),
  weight('b3', 'pb', 94, 3),
  { resourceType: 'Group', id: 'both', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/pa' } }, { entity: { reference: 'Patient/pb' } }] },
  {
    resourceType: 'Measure', id: 'weighed', status: 'active',
    scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'proportion' }] },
    group: [{ population: [
      { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'initial-population' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Patient?' } },
      { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'numerator' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Patient?_has:Observation:subject:code=http://loinc.org|29463-7' } },
    ] }],
  },
  { resourceType: 'Schedule', id: 'clinic', actor: [{ reference: 'Practitioner/doc' }] },
  // A Schedule of B's own (a home-care plan): B's data, hidden from A like any of B's.
  { resourceType: 'Schedule', id: 'sched-b', actor: [{ reference: 'Patient/pb' }, { reference: 'Practitioner/doc' }] },
  slot('s-a', 9),
  slot('s-b', 10),
  slot('s-free', 11),
  slot('s-free-2', 12),
  slot('s-hold', 13),
];

const B = new Set(['Patient/pb', 'Observation/b1', 'Observation/b2', 'Observation/b3']);
const ids = (b: Json) => ((b.entry ?? []) as Json[]).filter((e) => e.resource).map((e) => `${e.resource.resourceType}/${e.resource.id}`).sort();
const mentionsB = (b: Json) => ids(b).some((id) => B.has(id));
const count = (body: Json) =>
  body.parameter.find((p: Json) => p.name === 'statistics').resource.component.find((c: Json) => c.code.coding[0].code === 'count').valueInteger;

describeEachEngine('operations: patient A never sees or changes anything of patient B', (factory) => {
  let t: TestServer;
  let tokens: Record<'admin' | 'patientA' | 'patientUserA' | 'patientReadOnly', string>;
  let appointmentB: string;

  const as = (who: keyof typeof tokens) => {
    const auth = () => ({ Authorization: `Bearer ${tokens[who]}` });
    return {
      get: (url: string, headers: Record<string, string> = {}) => t.http.get(url).set({ ...auth(), ...headers }),
      post: (url: string, body: unknown) => t.http.post(url).set({ ...auth(), 'Content-Type': FHIR }).send(JSON.stringify(body)),
      put: (url: string, body: unknown) => t.http.put(url).set({ ...auth(), 'Content-Type': FHIR }).send(JSON.stringify(body)),
    };
  };
  const admin = as('admin');
  const a = as('patientA');

  /** Kicks off an export and polls it to its end; the body of the final answer (or the refusal). */
  async function exported(who: ReturnType<typeof as>, url: string): Promise<{ status: number; body: Json; counts?: Record<string, number> }> {
    const kick = await who.get(url, { Prefer: 'respond-async' });
    if (kick.status !== 202) return { status: kick.status, body: kick.body };
    const status = String(kick.headers['content-location']).replace(/^https?:\/\/[^/]+/, '');
    let poll = await who.get(status);
    for (let i = 0; i < 4000 && poll.status === 202; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      poll = await who.get(status);
    }
    const counts: Record<string, number> = {};
    for (const o of poll.body.output ?? []) counts[o.type] = (counts[o.type] ?? 0) + o.count;
    // The files themselves: no resource of B in any of them.
    const lines: string[] = [];
    for (const o of poll.body.output ?? []) {
      const file = await who.get(String(o.url).replace(/^https?:\/\/[^/]+/, ''));
      expect(file.status).toBe(200);
      lines.push(...file.text.split('\n').filter(Boolean));
    }
    const refs = lines.map((l) => JSON.parse(l) as Json).map((r) => `${r.resourceType}/${r.id}`);
    return { status: poll.status, body: { ...poll.body, refs }, counts };
  }

  beforeAll(async () => {
    const issuer = await makeIssuer();
    t = await makeTestServer({
      engine: await factory.make(),
      env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE, NIMBUS_JOB_POLL_INTERVAL: '50ms' },
      overrides: { smartKeys: localKeySource(issuer.jwks) },
    });
    tokens = {
      admin: await issuer.token({ scope: 'system/*.*', client_id: 'ops' }),
      patientA: await issuer.token({ scope: 'launch/patient patient/*.cruds', patient: 'pa', client_id: 'patient-app' }),
      patientUserA: await issuer.token({ scope: 'user/*.cruds', fhirUser: 'Patient/pa', client_id: 'portal' }),
      patientReadOnly: await issuer.token({ scope: 'patient/*.rs', patient: 'pa', client_id: 'reader' }),
    };
    for (const r of SEED) expect([r.id, (await admin.put(`/fhir/${r.resourceType}/${r.id}`, r)).status]).toEqual([r.id, 201]);
    const booked = await admin.post('/fhir/Appointment/$book', parameters('appointment', appointmentFor('pb', 's-b')));
    expect(booked.status).toBe(200);
    appointmentB = booked.body.id;
  });
  afterAll(() => t?.close());

  it('$everything: A’s own is whole; B’s is 404; the type level holds only A', async () => {
    const own = await a.get('/fhir/Patient/pa/$everything');
    // Group/both is in A's compartment (R4: Group.member); it names B, which is A's group's data.
    expect([own.status, ids(own.body)]).toEqual([200, ['Group/both', 'Observation/a1', 'Observation/a2', 'Patient/pa']]);
    const other = await a.get('/fhir/Patient/pb/$everything');
    expect([other.status, other.body.issue?.[0]?.code]).toEqual([404, 'not-found']);
    expect(mentionsB((await admin.get('/fhir/Patient/pb/$everything')).body)).toBe(true);
    const all = await a.get('/fhir/Patient/$everything?_count=100');
    expect([all.status, mentionsB(all.body)]).toEqual([200, false]);
    expect(ids(all.body)).toEqual(expect.arrayContaining(['Patient/pa', 'Observation/a1']));
    expect(mentionsB((await admin.get('/fhir/Patient/$everything?_count=100')).body)).toBe(true);
  });

  it('$lastn: only A’s, even when B is asked for', async () => {
    for (const url of ['/fhir/Observation/$lastn?max=5', '/fhir/Observation/$lastn?max=5&patient=Patient/pb', '/fhir/Observation/$lastn?max=5&subject=Patient/pb']) {
      const res = await a.get(url);
      expect([url, res.status, mentionsB(res.body)]).toEqual([url, 200, false]);
      expect([url, mentionsB((await admin.get(url)).body)]).toEqual([url, true]);
    }
    expect(ids((await a.get('/fhir/Observation/$lastn?max=5')).body)).toEqual(['Observation/a1', 'Observation/a2']);
  });

  it('$stats: B’s figures read as no data; A’s own are whole', async () => {
    const q = (patient: string) => `/fhir/Observation/$stats?subject=Patient/${patient}&system=http://loinc.org&code=29463-7&statistic=count`;
    expect(count((await a.get(q('pb'))).body)).toBe(0);
    expect(count((await admin.get(q('pb'))).body)).toBe(3);
    expect(count((await a.get(q('pa'))).body)).toBe(2);
  });

  it('$population-stats: a patient token’s population is its own compartment', async () => {
    const url = '/fhir/Observation/$population-stats?system=http://loinc.org&code=29463-7&statistic=count';
    for (const who of [a, as('patientUserA'), as('patientReadOnly')]) expect(count((await who.get(url)).body)).toBe(2);
    expect(count((await admin.get(url)).body)).toBe(5);
  });

  it('$evaluate-measure: B as subject reads exactly as a patient that does not exist; the population is A alone', async () => {
    const base = '/fhir/Measure/weighed/$evaluate-measure?periodStart=2025-01-01&periodEnd=2025-12-31';
    const populations = (body: Json) => (body.group[0].population as Json[]).map((p) => [p.code.coding[0].code, p.count]);
    const forB = await a.get(`${base}&subject=Patient/pb`);
    const forNobody = await a.get(`${base}&subject=Patient/nobody`);
    expect([forB.status, populations(forB.body)]).toEqual([forNobody.status, populations(forNobody.body)]);
    expect(populations(forB.body)).toEqual([['initial-population', 0], ['denominator', 0], ['numerator', 0]]);
    expect(populations((await admin.get(`${base}&subject=Patient/pb`)).body)).toEqual([['initial-population', 1], ['denominator', 1], ['numerator', 1]]);
    expect(populations((await a.get(base)).body)).toEqual([['initial-population', 1], ['denominator', 1], ['numerator', 1]]);
    expect(populations((await admin.get(base)).body)).toEqual([['initial-population', 2], ['denominator', 2], ['numerator', 2]]);
    expect(populations((await a.get(`${base}&subject=Patient/pa`)).body)).toEqual([['initial-population', 1], ['denominator', 1], ['numerator', 1]]);
    // A subject-list report lists only A.
    const list = await a.get(`${base}&reportType=subject-list`);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain('Patient/pb');
  });

  it('Bulk $export: Patient/$export holds A’s compartment only; Group/$export and the system level need system scopes', async () => {
    const own = await exported(a, '/fhir/Patient/$export?_type=Patient,Observation');
    expect(own.status).toBe(200);
    expect(own.body.refs.sort()).toEqual(['Observation/a1', 'Observation/a2', 'Patient/pa']);
    const adminOwn = await exported(admin, '/fhir/Patient/$export?_type=Patient,Observation');
    expect(adminOwn.body.refs).toEqual(expect.arrayContaining([...B]));
    // The system level is for backend services (system/ scopes).
    const system = await exported(a, '/fhir/$export?_type=Observation');
    expect([system.status, system.body.issue?.[0]?.code]).toEqual([403, 'forbidden']);
    expect(system.body.issue[0].diagnostics).toMatch(/system\/ scopes/);
    expect((await exported(admin, '/fhir/$export?_type=Observation')).body.refs.filter((r: string) => B.has(r))).toHaveLength(3);
    // Group/[id]/$export: the Group's members that the caller may see (A in A's group, never B).
    const group = await exported(a, '/fhir/Group/both/$export?_type=Patient,Observation');
    expect([group.status, group.body.refs.sort()]).toEqual([200, ['Observation/a1', 'Observation/a2', 'Patient/pa']]);
    expect((await exported(admin, '/fhir/Group/both/$export?_type=Patient,Observation')).body.refs.filter((r: string) => B.has(r))).toHaveLength(4);
    // Patient/$export naming B exports nothing of B.
    const namingB = await exported(a, '/fhir/Patient/$export?_type=Patient,Observation&patient=Patient/pb');
    expect(namingB.body.refs.filter((r: string) => B.has(r))).toEqual([]);
    // Another caller's export job and files are not A's to see: its status URL and files answer 404.
    const kick = await admin.get('/fhir/Patient/$export?_type=Observation', { Prefer: 'respond-async' });
    const statusUrl = String(kick.headers['content-location']).replace(/^https?:\/\/[^/]+/, '');
    let poll = await admin.get(statusUrl);
    for (let i = 0; i < 4000 && poll.status === 202; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      poll = await admin.get(statusUrl);
    }
    expect(poll.status).toBe(200);
    expect((await a.get(statusUrl)).status).toBe(404);
    for (const o of poll.body.output) expect((await a.get(String(o.url).replace(/^https?:\/\/[^/]+/, ''))).status).toBe(404);
    expect((await t.http.delete(statusUrl).set({ Authorization: `Bearer ${tokens.patientA}` })).status).toBe(404);
    expect((await admin.get(statusUrl)).status).toBe(200);
    // A patient user's export is confined to their own compartment too.
    const user = await exported(as('patientUserA'), '/fhir/Patient/$export?_type=Observation');
    expect(user.body.refs.sort()).toEqual(['Observation/a1', 'Observation/a2']);
  });

  it('scheduling: A finds Slots and books, holds, cancels and reschedules for A only; never for B nor B’s Appointment', async () => {
    // $find proposes Slots with A as the patient; naming B is refused.
    const find = await a.get('/fhir/Appointment/$find?practitioner=Practitioner/doc&patient=Patient/pa&start=2998-12-31T00:00:00Z&end=2999-01-02T00:00:00Z');
    expect(find.status).toBe(200);
    expect(((find.body.entry ?? []) as Json[]).map((e) => e.resource.slot[0].reference)).toEqual(['Slot/s-a', 'Slot/s-free', 'Slot/s-free-2', 'Slot/s-hold']);
    // B's booked Slot is not proposed (its status is public; who holds it is not).
    expect(JSON.stringify(find.body)).not.toContain('Slot/s-b');

    // Schedules: the practitioner's is readable (directory data), B's own is not; none is writable.
    expect((await a.get('/fhir/Schedule/clinic')).status).toBe(200);
    expect((await a.get('/fhir/Schedule/sched-b')).status).toBe(404);
    expect((await admin.get('/fhir/Schedule/sched-b')).status).toBe(200);
    expect(ids((await a.get('/fhir/Schedule')).body)).toEqual(['Schedule/clinic']);
    expect((await a.put('/fhir/Schedule/clinic', { resourceType: 'Schedule', id: 'clinic', actor: [{ reference: 'Practitioner/doc' }], comment: 'x' })).status).toBe(403);

    // $book / $hold for B: refused, nothing held or booked.
    for (const op of ['$book', '$hold']) {
      const res = await a.post(`/fhir/Appointment/${op}`, parameters('appointment', appointmentFor('pb', 's-free')));
      expect([op, res.status, res.body.issue?.[0]?.code]).toEqual([op, 403, 'forbidden']);
    }
    expect((await admin.get('/fhir/Slot/s-free')).body.status).toBe('free');

    // B's Appointment: cancel and reschedule read it as absent.
    const cancelB = await a.post(`/fhir/Appointment/${appointmentB}/$cancel`, { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'x' }] });
    expect([cancelB.status, cancelB.body.issue?.[0]?.code]).toEqual([404, 'not-found']);
    const moveB = await a.post(`/fhir/Appointment/${appointmentB}/$reschedule`, { resourceType: 'Parameters', parameter: [{ name: 'slot', valueReference: { reference: 'Slot/s-free' } }] });
    expect([moveB.status, moveB.body.issue?.[0]?.code]).toEqual([404, 'not-found']);
    // Nor a plain update of it, whatever Slot it names.
    for (const s of ['s-b', 's-free']) {
      const put = await a.put(`/fhir/Appointment/${appointmentB}`, { ...appointmentFor('pa', s), id: appointmentB, status: 'booked', start: '2999-01-01T10:00:00Z', end: '2999-01-01T10:30:00Z' });
      expect([s, put.status]).toEqual([s, 404]);
    }
    const stillB = await admin.get(`/fhir/Appointment/${appointmentB}`);
    expect([stillB.body.status, stillB.body.slot]).toEqual(['booked', [{ reference: 'Slot/s-b' }]]);
    expect((await admin.get('/fhir/Slot/s-b')).body.status).toBe('busy');

    // B's booked Slot cannot be taken by A (409 names the Slot, not B's Appointment).
    const taken = await a.post('/fhir/Appointment/$book', parameters('appointment', appointmentFor('pa', 's-b')));
    expect(taken.status).toBe(409);
    expect(JSON.stringify(taken.body)).not.toContain(appointmentB);

    // A's own: hold, book with the hold, reschedule, cancel.
    const held = await a.post('/fhir/Appointment/$hold', parameters('appointment', appointmentFor('pa', 's-hold')));
    expect(held.status).toBe(200);
    expect((await admin.get('/fhir/Slot/s-hold')).body.status).toBe('busy-tentative');
    const booked = await a.post('/fhir/Appointment/$book', parameters('appointment', held.body));
    expect([booked.status, booked.body.status]).toEqual([200, 'booked']);
    expect((await admin.get('/fhir/Slot/s-hold')).body.status).toBe('busy');
    const moved = await a.post(`/fhir/Appointment/${booked.body.id}/$reschedule`, { resourceType: 'Parameters', parameter: [{ name: 'slot', valueReference: { reference: 'Slot/s-free' } }] });
    expect(moved.status).toBe(200);
    expect([(await admin.get('/fhir/Slot/s-hold')).body.status, (await admin.get('/fhir/Slot/s-free')).body.status]).toEqual(['free', 'busy']);
    const cancelled = await a.post(`/fhir/Appointment/${booked.body.id}/$cancel`, { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'cannot come' }] });
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
    expect((await admin.get('/fhir/Slot/s-free')).body.status).toBe('free');
    // A plain write of a Slot stays refused to a patient: Slots change through Appointments.
    expect((await a.put('/fhir/Slot/s-free', { ...slot('s-free', 11), status: 'busy-unavailable' })).status).toBe(403);
  });

  it('$validate, $meta and $versions: B’s resources read as absent; nothing of B in any answer', async () => {
    const meta = await a.get('/fhir/Observation/b1/$meta');
    expect([meta.status, meta.body.issue?.[0]?.code]).toEqual([404, 'not-found']);
    expect((await admin.get('/fhir/Observation/b1/$meta')).status).toBe(200);
    // Type and system $meta: the tags in use among what the caller sees.
    expect((await admin.post('/fhir/Observation/b1/$meta-add', { resourceType: 'Parameters', parameter: [{ name: 'meta', valueMeta: { tag: [{ system: 'urn:b', code: 'only-b' }] } }] })).status).toBe(200);
    for (const url of ['/fhir/Observation/$meta', '/fhir/$meta']) {
      const res = await a.get(url);
      expect([url, res.status, JSON.stringify(res.body).includes('only-b')]).toEqual([url, 200, false]);
      expect([url, JSON.stringify((await admin.get(url)).body).includes('only-b')]).toEqual([url, true]);
    }
    // $validate of B's resource (mode delete reads it) and of an update of it: absent.
    for (const mode of ['delete', 'update']) {
      const res = await a.post('/fhir/Observation/b1/$validate', { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: mode }, ...(mode === 'update' ? [{ name: 'resource', resource: weight('b1', 'pa', 1, 1) }] : [])] });
      expect([mode, res.status]).toEqual([mode, 404]);
    }
    // $validate of a new resource for B answers about its content only; A's own validates.
    const own = await a.post('/fhir/Observation/$validate', weight('x', 'pa', 1, 1));
    expect(own.status).toBe(200);
    const versions = await a.get('/fhir/$versions');
    expect([versions.status, versions.body.parameter?.[0]?.valueCode ?? versions.body.parameter?.[0]?.valueString]).toEqual([200, '4.0']);
  });
});
