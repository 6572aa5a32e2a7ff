// Service orders (ServiceRequest + Task) on both engines over real HTTP: the Task state machine
// through every door (POST, PUT, PATCH, conditional update, transaction and batch entries), the
// elements the server maintains, results linked on completion, and the ServiceRequest following
// its Tasks. Every refusal is a 4xx OperationOutcome and leaves everything as it was.
import { describeEachEngine } from '../support/engines';
import { fixedClock, makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const JSON_PATCH = 'application/json-patch+json';
const ID_SYSTEM = 'urn:example:task';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const order = (id: string, status = 'active') => ({
  resourceType: 'ServiceRequest',
  id,
  status,
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  requester: { reference: 'Practitioner/gp' },
  code: { text: 'Echocardiogram' },
});
const task = (id: string, focus: string, status: string, extra: Json = {}) => ({
  resourceType: 'Task',
  id,
  status,
  intent: 'order',
  identifier: [{ system: ID_SYSTEM, value: id }],
  focus: { reference: `ServiceRequest/${focus}` },
  ...extra,
});
const OWNER = { owner: { reference: 'Organization/lab' } };

describeEachEngine('service orders', (factory) => {
  let t: TestServer;
  // MongoDB without a replica set (FerretDB) refuses transaction Bundles (400 not-supported); there
  // the same entries go as a batch, which reaches the same rules.
  let atomic = true;
  const clock = fixedClock('2030-03-01T09:00:00.000Z');
  beforeAll(async () => {
    const engine = await factory.make();
    atomic = engine.atomicTransactions;
    t = await makeTestServer({ engine, clock });
  }, 60000);
  afterAll(() => t.close());

  async function put(r: Json, expected = [200, 201]) {
    const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(r);
    expect([r.id, expected.includes(res.status) ? 'ok' : res.body]).toEqual([r.id, 'ok']);
    return res.body;
  }
  const read = async (type: string, id: string) => (await t.http.get(`/fhir/${type}/${id}`)).body;
  const patch = (id: string, status: string) =>
    t.http.patch(`/fhir/Task/${id}`).set('Content-Type', JSON_PATCH).send([{ op: 'replace', path: '/status', value: status }]);
  const conditional = (body: Json) => t.http.put(`/fhir/Task?identifier=${ID_SYSTEM}|${body.identifier[0].value}`).set('Content-Type', FHIR).send(body);
  const bundle = (type: 'transaction' | 'batch', body: Json) =>
    t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .set('Prefer', 'return=representation')
      .send({ resourceType: 'Bundle', type, entry: [{ resource: body, request: { method: 'PUT', url: `Task/${body.id}` } }] });
  /** A one-entry transaction where the engine has them, else a batch: status and OperationOutcome of the entry. */
  const entry = async (body: Json): Promise<{ status: number; body: Json }> => {
    if (atomic) return bundle('transaction', body);
    const refused = await bundle('transaction', body);
    expect([refused.status, refused.body.issue?.[0]?.code]).toEqual([400, 'not-supported']);
    const res = await bundle('batch', body);
    const e = res.body.entry[0];
    return { status: Number(e.response.status.slice(0, 3)), body: e.response.outcome ?? { entry: [e] } };
  };

  it('moves a Task to completion through every door; the server maintains what follows', async () => {
    await put(order('echo'));
    await put({ resourceType: 'DiagnosticReport', id: 'echo-report', status: 'final', code: { text: 'Echo' }, basedOn: [{ reference: 'ServiceRequest/echo' }] });
    // POST: requested. for/requester come from the order, authoredOn is set; the rest is as sent.
    const created = await t.http.post('/fhir/Task').set('Content-Type', FHIR).send({ ...task('x', 'echo', 'requested'), id: undefined, priority: 'urgent' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.for).toEqual({ reference: 'Patient/p1' });
    expect(created.body.requester).toEqual({ reference: 'Practitioner/gp' });
    expect(created.body.authoredOn).toBe('2030-03-01T09:00:00.000Z');
    expect(created.body.businessStatus).toBeUndefined();
    expect((await read('ServiceRequest', 'echo')).status).toBe('active');
    const current = async () => read('Task', id);

    // PUT: received (a performer claims it, so owner is required).
    clock.advance(60_000);
    const noOwner = await t.http.put(`/fhir/Task/${id}`).set('Content-Type', FHIR).send({ ...(await current()), status: 'received' });
    expect(noOwner.status).toBe(422);
    expect(JSON.stringify(noOwner.body.issue)).toContain('Task.owner');
    const received = await t.http.put(`/fhir/Task/${id}`).set('Content-Type', FHIR).send({ ...(await current()), status: 'received', ...OWNER });
    expect(received.status).toBe(200);
    expect(received.body.businessStatus.text).toBe('Received');
    expect(received.body.lastModified).toBe('2030-03-01T09:01:00.000Z');

    // PATCH: accepted.
    expect((await patch(id, 'accepted')).status).toBe(200);

    // Conditional update: in-progress sets executionPeriod.start.
    clock.advance(60_000);
    const started = await conditional({ ...(await current()), status: 'in-progress', identifier: [{ system: ID_SYSTEM, value: 'x' }] });
    expect(started.status).toBe(200);
    expect(started.body.executionPeriod).toEqual({ start: '2030-03-01T09:02:00.000Z' });

    // Transaction entry: completed sets the end, links the order's result, completes the order.
    clock.advance(60_000);
    const { executionPeriod: _dropped, ...withoutPeriod } = await current(); // the recorded start is kept
    const done = await entry({ ...withoutPeriod, status: 'completed' });
    expect(done.status).toBe(200);
    const final = await current();
    expect(final.status).toBe('completed');
    expect(final.executionPeriod).toEqual({ start: '2030-03-01T09:02:00.000Z', end: '2030-03-01T09:03:00.000Z' });
    expect(final.output.map((o: Json) => o.valueReference.reference)).toEqual(['DiagnosticReport/echo-report']);
    expect(done.body.entry[0].resource.output).toEqual(final.output);
    expect((await read('ServiceRequest', 'echo')).status).toBe('completed');
  });

  it('refuses an illegal move through every door with 409 naming the allowed next states, changing nothing', async () => {
    await put(order('illegal'));
    await put(task('il', 'illegal', 'requested'));
    const before = await read('Task', 'il');
    const answers = [
      await t.http.put('/fhir/Task/il').set('Content-Type', FHIR).send({ ...before, status: 'completed', ...OWNER }),
      await patch('il', 'in-progress'),
      await conditional({ ...before, status: 'completed', ...OWNER }),
      await entry({ ...before, status: 'completed', ...OWNER }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(409);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toContain('allowed next states');
      expect(res.body.issue[0].diagnostics).toContain('received, accepted, rejected, ready, cancelled, entered-in-error');
      expect(res.body.issue[0].expression.at(-1)).toMatch(/Task\.status$/);
    }
    const batch = await bundle('batch', { ...before, status: 'on-hold' });
    expect(batch.body.entry[0].response.status).toMatch(/^409/);
    expect((await read('Task', 'il')).meta.versionId).toBe(before.meta.versionId);
    expect((await read('ServiceRequest', 'illegal')).status).toBe('active');
  });

  it('a final state cannot be left by any door', async () => {
    await put(order('fin'));
    await put(task('f1', 'fin', 'requested'));
    await put(task('f2', 'fin', 'requested'));
    expect((await patch('f1', 'cancelled')).status).toBe(200);
    const cancelled = await read('Task', 'f1');
    expect(cancelled.executionPeriod.end).toBeDefined();
    for (const res of [
      await t.http.put('/fhir/Task/f1').set('Content-Type', FHIR).send({ ...cancelled, status: 'requested' }),
      await patch('f1', 'entered-in-error'),
      await conditional({ ...cancelled, status: 'in-progress', ...OWNER }),
      await entry({ ...cancelled, status: 'ready' }),
    ]) {
      expect(res.status).toBe(409);
      expect(res.body.issue[0].diagnostics).toContain("'cancelled' is a final state and cannot be left");
    }
    // Changing other elements of a final Task is allowed (a note, say).
    expect((await t.http.put('/fhir/Task/f1').set('Content-Type', FHIR).send({ ...cancelled, note: [{ text: 'duplicate order' }] })).status).toBe(200);
  });

  it('the order follows its Tasks: revoked when all are rejected or cancelled; failed keeps it active', async () => {
    await put(order('two'));
    await put(task('t1', 'two', 'requested'));
    await put(task('t2', 'two', 'requested'));
    expect((await patch('t1', 'rejected')).status).toBe(200);
    expect((await read('ServiceRequest', 'two')).status).toBe('active');
    expect((await patch('t2', 'cancelled')).status).toBe(200);
    expect((await read('ServiceRequest', 'two')).status).toBe('revoked');
    // A revoked order takes no new open Task, and cannot be reactivated.
    const late = await t.http.put('/fhir/Task/t3').set('Content-Type', FHIR).send(task('t3', 'two', 'requested'));
    expect(late.status).toBe(409);
    expect(late.body.issue[0].diagnostics).toContain('ServiceRequest/two is revoked');
    const reopen = await t.http.put('/fhir/ServiceRequest/two').set('Content-Type', FHIR).send(order('two', 'active'));
    expect(reopen.status).toBe(409);
    expect(reopen.body.issue[0].expression).toEqual(['ServiceRequest.status']);

    await put(order('retry'));
    await put(task('r1', 'retry', 'in-progress', OWNER));
    expect((await patch('r1', 'failed')).status).toBe(200);
    expect((await read('ServiceRequest', 'retry')).status).toBe('active');
    // on-hold: the order is on hold while its only open Task is.
    await put(task('r2', 'retry', 'in-progress', OWNER));
    expect((await patch('r2', 'on-hold')).status).toBe(200);
    expect((await read('ServiceRequest', 'retry')).status).toBe('on-hold');
    expect((await patch('r2', 'in-progress')).status).toBe(200);
    expect((await read('ServiceRequest', 'retry')).status).toBe('active');
  });

  it('revoking an order cancels its open Tasks; it cannot be completed while one is open', async () => {
    await put(order('rev'));
    await put(task('v1', 'rev', 'accepted', OWNER));
    await put(task('v2', 'rev', 'completed', OWNER));
    const early = await t.http.put('/fhir/ServiceRequest/rev').set('Content-Type', FHIR).send(order('rev', 'completed'));
    expect(early.status).toBe(409);
    expect(early.body.issue[0].diagnostics).toContain('Task/v1 (accepted)');
    expect((await read('ServiceRequest', 'rev')).status).toBe('active');
    const revoked = await t.http.patch('/fhir/ServiceRequest/rev').set('Content-Type', JSON_PATCH).send([{ op: 'replace', path: '/status', value: 'revoked' }]);
    expect(revoked.status).toBe(200);
    const v1 = await read('Task', 'v1');
    expect([v1.status, v1.statusReason.text, v1.businessStatus.text]).toEqual(['cancelled', 'ServiceRequest/rev was revoked', 'Cancelled']);
    expect((await read('Task', 'v2')).status).toBe('completed');
  });

  it('refuses Tasks moved to another order or for another patient; an order not held here leaves the Task to its state machine', async () => {
    // A focus on an order this server does not hold (another system's, say) is recorded as sent.
    await put(task('m1', 'elsewhere', 'requested'));
    expect((await patch('m1', 'completed')).status).toBe(409);
    expect((await patch('m1', 'cancelled')).status).toBe(200);
    await put(order('a'));
    await put(order('b'));
    await put(task('m2', 'a', 'requested'));
    const moved = await t.http.put('/fhir/Task/m2').set('Content-Type', FHIR).send(task('m2', 'b', 'requested'));
    expect(moved.status).toBe(409);
    expect(moved.body.issue[0].expression).toEqual(['Task.focus']);
    // A focus may be given later; once given it stays.
    const { focus: _none, ...unfocused } = task('m4', 'a', 'requested');
    await put(unfocused);
    await put(task('m4', 'a', 'requested'));
    expect((await read('Task', 'm4')).for).toEqual({ reference: 'Patient/p1' });
    const other = await t.http.put('/fhir/Task/m3').set('Content-Type', FHIR).send(task('m3', 'a', 'requested', { for: { reference: 'Patient/p2' } }));
    expect(other.status).toBe(422);
    expect(other.body.issue[0].expression).toEqual(['Task.for']);
  });

  it('concurrent moves of the Tasks of one order leave the order as its last Task decides', async () => {
    await put(order('busy'));
    const ids = Array.from({ length: 6 }, (_, i) => `busy-${i}`);
    for (const id of ids) await put(task(id, 'busy', 'in-progress', OWNER));
    // All six finish at once: one completes, the rest fail or are cancelled. Whatever the
    // interleaving, the last one decided sees the others final, so the order is completed.
    const answers = await Promise.all(ids.map((id, i) => patch(id, i === 0 ? 'completed' : i % 2 ? 'failed' : 'cancelled')));
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    expect((await read('ServiceRequest', 'busy')).status).toBe('completed');
  });

  it('places an order and its Task in one transaction; a bad entry rolls both back', async () => {
    const place = (status: string) =>
      t.http
        .post('/fhir')
        .set('Content-Type', FHIR)
        .send({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { fullUrl: 'urn:uuid:4f6a30fb-cd3c-4ab6-8757-532101f72065', resource: { ...order('x'), id: undefined, identifier: [{ system: 'urn:example:order', value: status }] }, request: { method: 'POST', url: 'ServiceRequest' } },
            { resource: { ...task('x', 'x', status), id: undefined, focus: { reference: 'urn:uuid:4f6a30fb-cd3c-4ab6-8757-532101f72065' } }, request: { method: 'POST', url: 'Task' } },
          ],
        });
    if (!atomic) {
      const refused = await place('requested');
      expect([refused.status, refused.body.issue[0].code]).toEqual([400, 'not-supported']);
      expect((await t.http.get('/fhir/ServiceRequest?identifier=urn:example:order|requested')).body.total).toBe(0);
      return;
    }
    const ok = await place('requested');
    expect(ok.status).toBe(200);
    const requestId = /ServiceRequest\/([^/]+)/.exec(ok.body.entry[0].response.location)![1];
    expect((await read('ServiceRequest', requestId)).status).toBe('active');
    const bad = await place('in-progress'); // no owner
    expect(bad.status).toBe(422);
    expect((await t.http.get('/fhir/ServiceRequest?identifier=urn:example:order|in-progress')).body.total).toBe(0);
  });
});
