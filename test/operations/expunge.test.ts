// $expunge on both engines: the instance level removes a resource's whole history (404 afterwards,
// never 410), the type level removes deleted resources (optionally deleted before _before), GET is
// 405, a policy that refuses `expunge` is 403, every removal is recorded as an AuditEvent, and a
// writer re-creating a resource while it is expunged never leaves a half-removed history.
import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, type Caller } from '../../src/access/caller';
import { openPolicy, policyOf, type AccessPolicy } from '../../src/access/policy';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { fixedClock, makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const NOT_ADMIN: Caller = { kind: 'user', fhirUser: 'Practitioner/not-admin' };
// Full access to every type, but not an administrator: $expunge is server administration.
const noExpunge: AccessPolicy = policyOf(() => ({ allowed: true, where: [] }));

describeEachEngine('$expunge', (factory) => {
  let t: TestServer;
  let engine: Engine;
  const clock = fixedClock('2025-03-01T00:00:00.000Z');
  const put = (type: string, id: string, body: Record<string, unknown> = {}) =>
    t.http.put(`/fhir/${type}/${id}`).set('Content-Type', FHIR).send(JSON.stringify({ resourceType: type, id, ...body }));
  const expunge = (path: string, params: unknown[] = [], who?: string) => {
    const req = t.http.post(`/fhir/${path}/$expunge`).set('Content-Type', FHIR);
    if (who) req.set('X-Test-Caller', who);
    return req.send(JSON.stringify({ resourceType: 'Parameters', parameter: params }));
  };
  const out = (body: { parameter?: Array<{ name: string; valueInteger?: number }> }) => Object.fromEntries((body.parameter ?? []).map((p) => [p.name, p.valueInteger]));
  const audits = async (reference: string) => {
    const res = await t.http.get(`/fhir/AuditEvent?entity=${encodeURIComponent(reference)}`);
    expect(res.status).toBe(200);
    return (res.body.entry ?? []).map((e: { resource: unknown }) => e.resource) as Array<{ action: string; entity: Array<{ what: { reference: string } }>; subtype: Array<{ code: string }>; type: { code: string } }>;
  };

  beforeAll(async () => {
    engine = await factory.make();
    t = await makeTestServer({
      engine,
      clock,
      overrides: {
        policyFor: (caller: Caller) => (caller === NOT_ADMIN ? noExpunge : openPolicy),
        authenticate: (req: IncomingMessage) => (req.headers['x-test-caller'] === 'not-admin' ? NOT_ADMIN : ANONYMOUS),
      },
    });
  });
  afterAll(() => t.close());

  it('instance level: removes the whole history of a live resource; afterwards everything answers 404 or nothing', async () => {
    expect((await put('Patient', 'erase-me', { name: [{ family: 'Erase' }] })).status).toBe(201);
    expect((await put('Patient', 'erase-me', { name: [{ family: 'Erased' }] })).status).toBe(200);
    expect((await put('Patient', 'keep-me', { name: [{ family: 'Erase' }] })).status).toBe(201);

    const res = await expunge('Patient/erase-me');
    expect(res.status).toBe(200);
    expect(out(res.body)).toEqual({ expunged: 1, versions: 2 });

    expect((await t.http.get('/fhir/Patient/erase-me')).status).toBe(404);
    expect((await t.http.get('/fhir/Patient/erase-me/_history/1')).status).toBe(404);
    const history = await t.http.get('/fhir/Patient/erase-me/_history');
    expect(history.status === 404 || (history.status === 200 && (history.body.entry ?? []).length === 0)).toBe(true);
    const typeHistory = await t.http.get('/fhir/Patient/_history?_count=100');
    expect((typeHistory.body.entry ?? []).map((e: { resource?: { id: string }; request?: { url: string } }) => e.resource?.id ?? e.request?.url)).not.toContain('erase-me');
    const search = await t.http.get('/fhir/Patient?family=erase');
    expect(search.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['keep-me']);
    expect(await engine.read('Patient', 'erase-me')).toBeUndefined();
    expect(await engine.vread('Patient', 'erase-me', 1)).toBeUndefined();

    // The audit trail names what was removed.
    const [event] = await audits('Patient/erase-me');
    expect(event).toMatchObject({ action: 'D', type: { code: 'rest' }, entity: [{ what: { reference: 'Patient/erase-me' } }] });
    expect(event.subtype.map((s) => s.code)).toContain('expunge');

    // The id is free again: a new resource starts at version 1.
    const again = await put('Patient', 'erase-me', { name: [{ family: 'New' }] });
    expect(again.status).toBe(201);
    expect(again.body.meta.versionId).toBe('1');
  });

  it('instance level: a deleted resource is expunged too (410 before, 404 after); an unknown one is 404', async () => {
    expect((await put('Observation', 'gone', { status: 'final', code: { text: 'x' } })).status).toBe(201);
    expect((await t.http.delete('/fhir/Observation/gone')).status).toBeLessThan(300);
    expect((await t.http.get('/fhir/Observation/gone')).status).toBe(410);
    const res = await expunge('Observation/gone');
    expect(out(res.body)).toEqual({ expunged: 1, versions: 2 });
    expect((await t.http.get('/fhir/Observation/gone')).status).toBe(404);
    expect((await expunge('Observation/gone')).status).toBe(404);
    expect((await expunge('Observation/never-was')).status).toBe(404);
  });

  it('the newest resource expunged (SQLite then reuses its row id) leaves no index entries behind', async () => {
    expect((await put('Patient', 'newest', { name: [{ family: 'Zyxwv' }] })).status).toBe(201);
    expect(out((await expunge('Patient/newest')).body)).toEqual({ expunged: 1, versions: 1 });
    expect((await put('Patient', 'successor', { name: [{ family: 'Other' }] })).status).toBe(201);
    expect((await t.http.get('/fhir/Patient?family=zyxwv')).body.entry ?? []).toEqual([]);
    const found = await t.http.get('/fhir/Patient?family=other');
    expect(found.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['successor']);
  });

  it('type level: removes deleted resources only, and with _before only those deleted earlier', async () => {
    for (const id of ['old-del', 'new-del', 'alive']) expect((await put('Condition', id, { subject: { reference: 'Patient/keep-me' } })).status).toBe(201);
    clock.advance(60_000);
    await t.http.delete('/fhir/Condition/old-del');
    clock.advance(60_000);
    const between = clock.now().toISOString();
    clock.advance(60_000);
    await t.http.delete('/fhir/Condition/new-del');

    const first = await expunge('Condition', [{ name: '_before', valueInstant: between }]);
    expect(first.status).toBe(200);
    expect(out(first.body)).toEqual({ expunged: 1, versions: 2 });
    expect((await t.http.get('/fhir/Condition/old-del')).status).toBe(404);
    expect((await t.http.get('/fhir/Condition/new-del')).status).toBe(410);

    const second = await expunge('Condition');
    expect(out(second.body)).toEqual({ expunged: 1, versions: 2 });
    expect((await t.http.get('/fhir/Condition/new-del')).status).toBe(404);
    const alive = await t.http.get('/fhir/Condition/alive/_history');
    expect(alive.body.entry).toHaveLength(1);
    expect((await audits('Condition/new-del'))[0].action).toBe('D');
    expect(await audits('Condition/alive')).toEqual([]);
  });

  it('type level runs as a job with Prefer: respond-async', async () => {
    // Its own server on the system clock: a job's retention is measured against the real time.
    const own = await makeTestServer({ engine: await factory.make() });
    try {
      for (const id of ['job-1', 'job-2']) {
        expect((await own.http.put(`/fhir/Device/${id}`).set('Content-Type', FHIR).send(JSON.stringify({ resourceType: 'Device', id }))).status).toBe(201);
        await own.http.delete(`/fhir/Device/${id}`);
      }
      const kickoff = await own.http.post('/fhir/Device/$expunge').set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send('{"resourceType":"Parameters"}');
      expect(kickoff.status).toBe(202);
      const status = new URL(kickoff.headers['content-location']).pathname;
      let res = await own.http.get(status);
      for (let i = 0; i < 200 && res.status === 202; i++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await own.http.get(status);
      }
      expect(res.status).toBe(200);
      expect(out(res.body)).toEqual({ expunged: 2, versions: 4 });
      expect((await own.http.get('/fhir/Device/job-1')).status).toBe(404);
    } finally {
      await own.close();
    }
  });

  it('is refused by GET (405), with _before at the instance level (400), and for a caller the policy refuses (403)', async () => {
    expect((await put('Patient', 'protected', {})).status).toBe(201);
    const get = await t.http.get('/fhir/Patient/protected/$expunge');
    expect(get.status).toBe(405);
    expect(get.body.resourceType).toBe('OperationOutcome');
    expect((await expunge('Patient/protected', [{ name: '_before', valueInstant: '2025-01-01T00:00:00Z' }])).status).toBe(400);
    const refused = await expunge('Patient/protected', [], 'not-admin');
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');
    expect((await expunge('Patient', [], 'not-admin')).status).toBe(403);
    expect((await t.http.get('/fhir/Patient/protected')).status).toBe(200);
  });

  it('a writer re-creating a deleted resource during a type-level expunge never leaves a half-removed history', async () => {
    for (let round = 0; round < 4; round++) {
      const id = `race-${round}`;
      expect((await put('Basic', id, { code: { text: 'v1' } })).status).toBe(201);
      await t.http.delete(`/fhir/Basic/${id}`);
      const [recreated, expunged] = await Promise.all([put('Basic', id, { code: { text: 'again' } }), expunge('Basic')]);
      expect(recreated.status).toBeLessThan(300);
      expect(expunged.status).toBe(200);
      const current = await engine.read('Basic', id);
      expect(current?.deleted).toBe(false);
      // Either the expunge came first (the re-create is version 1) or the re-create did (all three
      // versions are kept): every version up to the current one is there.
      for (let v = 1; v <= current!.versionId; v++) expect(await engine.vread('Basic', id, v)).toBeDefined();
      const history = await engine.history({ resourceType: 'Basic', id, count: 10 });
      expect(history.versions).toHaveLength(current!.versionId);
    }
  });
});
