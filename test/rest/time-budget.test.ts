// The request time budget (NIMBUS_REQUEST_TIMEOUT) and work stopping when the client has gone, on
// every engine, over real HTTP: a batch of many expensive searches with a tiny budget is answered
// 503 too-costly with most of its entries never run; a client that disconnects mid-batch stops the
// batch (later entries never run — seen on /metrics, not by timing); jobs are not bound by it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { OperationModule } from '../../src/operations/types';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const SEARCHES = 2000;

/** Waits until the request's client has gone (the test disconnects once it is reached). */
function waitForDisconnect(reached: () => void): OperationModule {
  const definition: OperationDefinition = {
    resourceType: 'OperationDefinition',
    id: 'test-wait-for-disconnect',
    url: 'http://example.org/OperationDefinition/test-wait-for-disconnect',
    name: 'WaitForDisconnect',
    status: 'active',
    kind: 'operation',
    code: 'wait-for-disconnect',
    system: true,
    type: false,
    instance: false,
    parameter: [{ name: 'gone', use: 'out', min: 1, max: '1', type: 'boolean' }],
  };
  return {
    definition,
    affectsState: false,
    handler: async (_call, ctx) => {
      reached();
      const gone = await new Promise<boolean>((resolve) => {
        if (ctx.signal.aborted) return resolve(true);
        const safety = setTimeout(() => resolve(false), 20_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(safety);
          resolve(true);
        });
      });
      return { out: { gone } };
    },
    example: { level: 'system' },
  };
}

/** `$slow`: ten steps of 60 ms, reporting progress after each (where budgets and cancellation are checked). */
const slow: OperationModule = {
  definition: {
    resourceType: 'OperationDefinition',
    id: 'test-slow',
    url: 'http://example.org/OperationDefinition/test-slow',
    name: 'Slow',
    status: 'active',
    kind: 'operation',
    code: 'slow',
    system: true,
    type: false,
    instance: false,
    parameter: [{ name: 'steps', use: 'out', min: 1, max: '1', type: 'integer' }],
  },
  affectsState: false,
  async: 'allowed',
  handler: async (call) => {
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 60));
      await call.job.progress(i + 1, 10);
    }
    return { out: { steps: 10 } };
  },
  example: { level: 'system' },
};

function searchBatch(n: number, first: object[] = []): object {
  const entries = Array.from({ length: n }, (_, i) => ({ request: { method: 'GET', url: `Patient?name:contains=${'aeiou'[i % 5]}&_total=accurate&_count=50` } }));
  return { resourceType: 'Bundle', type: 'batch', entry: [...first, ...entries] };
}

/** A counter's value from the Prometheus text of /metrics. */
async function metric(t: TestServer, name: string, labels = ''): Promise<number> {
  const text = (await t.http.get('/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

async function seedPatients(t: TestServer, n: number): Promise<void> {
  const entry = Array.from({ length: n }, (_, i) => ({
    request: { method: 'POST', url: 'Patient' },
    resource: { resourceType: 'Patient', name: [{ family: `Family${i}abcde`, given: [`Given${i}uoiea`] }] },
  }));
  const res = await t.http.post('/fhir').set('Content-Type', FHIR).send({ resourceType: 'Bundle', type: 'batch', entry });
  expect(res.status).toBe(200);
}

describeEachEngine('request time budget', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_REQUEST_TIMEOUT: '250ms', NIMBUS_JOB_POLL_INTERVAL: '50ms' }, overrides: { operations: [slow] } });
    await seedPatients(t, 200);
  }, 120_000);
  afterAll(() => t.close());

  it('answers a batch of many expensive searches 503 too-costly and leaves the rest of it unrun', async () => {
    const ranBefore = await metric(t, 'nimbus_bundle_entries_run_total');
    const res = await t.http.post('/fhir').set('Content-Type', FHIR).send(searchBatch(SEARCHES));
    expect(res.status).toBe(503);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('too-costly');
    expect(res.body.issue[0].diagnostics).toMatch(/time budget of 250 ms/);
    const ran = (await metric(t, 'nimbus_bundle_entries_run_total')) - ranBefore;
    expect(ran).toBeLessThan(SEARCHES);
    expect(await metric(t, 'nimbus_bundle_entries_not_run_total')).toBeGreaterThan(0);
    expect(await metric(t, 'nimbus_requests_stopped_total', '{reason="time-budget"}')).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('stops an operation that outlives the budget, but not the same operation run as a job', async () => {
    const inline = await t.http.get('/fhir/$slow');
    expect(inline.status).toBe(503);
    expect(inline.body.issue[0].code).toBe('too-costly');
    const submitted = await t.http.get('/fhir/$slow').set('Prefer', 'respond-async');
    expect(submitted.status).toBe(202);
    const status = new URL(submitted.headers['content-location']).pathname;
    let done;
    for (let i = 0; i < 400 && !done; i++) {
      const r = await t.http.get(status);
      if (r.status !== 202) done = r;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(done?.status).toBe(200);
    expect(JSON.stringify(done?.body)).toContain('"valueInteger":10');
  }, 60_000);
});

describeEachEngine('time budget of a batch that has written', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_REQUEST_TIMEOUT: '2s' }, overrides: { operations: [slow] } });
  }, 60_000);
  afterAll(() => t.close());

  it('reports the writes done before the budget ran out and answers the entries left 503', async () => {
    // A create, then five operations of at least 600 ms each: the budget of 2 s ends before the fifth.
    const entry = [
      { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family: 'Before' }] } },
      ...Array.from({ length: 5 }, () => ({ request: { method: 'GET', url: '$slow' } })),
    ];
    const res = await t.http.post('/fhir').set('Content-Type', FHIR).send({ resourceType: 'Bundle', type: 'batch', entry });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    const statuses: string[] = res.body.entry.map((e: { response: { status: string } }) => e.response.status);
    // Which operation the budget ends in depends on the machine; the shape does not: the create,
    // at least the first operation done, then 503 for every entry from the stopped one on.
    expect(statuses[0]).toMatch(/^201/);
    const firstStopped = statuses.findIndex((s) => /^503/.test(s));
    expect(firstStopped).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(1, firstStopped).every((s) => /^200/.test(s))).toBe(true);
    expect(statuses.slice(firstStopped).every((s) => /^503/.test(s))).toBe(true);
    expect(res.body.entry[5].response.outcome.issue[0].code).toBe('too-costly');
    // The create is there.
    const found = await t.http.get('/fhir/Patient?family=Before');
    expect(found.body.total ?? found.body.entry?.length).toBe(1);
  }, 60_000);
});

describeEachEngine('work of a client that has gone', (factory) => {
  let t: TestServer;
  let server: http.Server;
  let port: number;
  let reached: () => void = () => undefined;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), overrides: { operations: [waitForDisconnect(() => reached())] } });
    await seedPatients(t, 50);
    server = http.createServer(t.server.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await t.close();
  });

  it('stops a batch whose client disconnected: the entries after that never run', async () => {
    const runBefore = await metric(t, 'nimbus_bundle_entries_run_total');
    const notRunBefore = await metric(t, 'nimbus_bundle_entries_not_run_total');
    const body = JSON.stringify(searchBatch(SEARCHES, [{ request: { method: 'GET', url: '$wait-for-disconnect' } }]));
    const atGate = new Promise<void>((r) => (reached = r));
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/fhir', headers: { 'Content-Type': FHIR, 'Content-Length': Buffer.byteLength(body) } });
    const answered = new Promise<string>((resolve) => {
      req.on('response', () => resolve('answered'));
      req.on('error', () => resolve('gone'));
      req.on('close', () => resolve('gone'));
    });
    req.end(body);
    await atGate; // the first entry is running: the client leaves now
    req.destroy();
    expect(await answered).toBe('gone');
    // The gate entry ends once the server noticed; then every search entry is left unrun.
    const deadline = Date.now() + 20_000;
    while ((await metric(t, 'nimbus_bundle_entries_not_run_total')) - notRunBefore < SEARCHES && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await metric(t, 'nimbus_bundle_entries_not_run_total')) - notRunBefore).toBe(SEARCHES);
    expect((await metric(t, 'nimbus_bundle_entries_run_total')) - runBefore).toBe(1);
    expect(await metric(t, 'nimbus_requests_stopped_total', '{reason="client-gone"}')).toBe(1);
  }, 60_000);
});
