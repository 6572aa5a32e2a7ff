// Overload over real HTTP: load shedding (a concurrency limit with a bounded queue, 503 +
// Retry-After + OperationOutcome at once beyond it, health endpoints always answered) and
// per-client rates (429 + Retry-After per IP address and per authenticated caller).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { Caller } from '../../src/access/caller';
import { loadConfig } from '../../src/config';
import type { OperationModule } from '../../src/operations/types';
import { RateLimiter } from '../../src/rest/rate-limit';
import { makeTestServer, type TestServer } from '../support/server';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A fresh connection per request: the limits are about concurrent requests, not sockets.
    const req = http.get({ port, host: '127.0.0.1', path, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

function expectOutcome(a: Answer, status: number, code: string): void {
  expect(a.status).toBe(status);
  expect(a.headers['content-type']).toMatch(/^application\/fhir\+json/);
  expect(Number(a.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  const outcome = JSON.parse(a.body);
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue[0].code).toBe(code);
}

/** `$test-hold`: waits until the test releases it, so requests stay in flight as long as the test wants. */
function holdOperation(): { module: OperationModule; entered: () => Promise<void>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let signalEntered!: () => void;
  const entered = new Promise<void>((r) => (signalEntered = r));
  const definition: OperationDefinition = {
    resourceType: 'OperationDefinition',
    id: 'test-hold',
    url: 'http://example.org/OperationDefinition/test-hold',
    name: 'Hold',
    status: 'active',
    kind: 'operation',
    code: 'test-hold',
    system: true,
    type: false,
    instance: false,
    parameter: [{ name: 'held', use: 'out', min: 1, max: '1', type: 'boolean' }],
  };
  return {
    module: {
      definition,
      affectsState: false,
      handler: async () => {
        signalEntered();
        await released;
        return { out: { held: true } };
      },
      example: { level: 'system' },
    },
    entered: () => entered,
    release: () => release(),
  };
}

async function listen(t: TestServer): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(t.server.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function metric(port: number, name: string): Promise<number> {
  const text = (await get(port, '/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

describe('load shedding', () => {
  const hold = holdOperation();
  let t: TestServer;
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    t = await makeTestServer({ env: { NIMBUS_MAX_IN_FLIGHT: '1', NIMBUS_MAX_QUEUED: '1' }, overrides: { operations: [hold.module] } });
    ({ server, port } = await listen(t));
  });
  afterAll(async () => {
    hold.release();
    await new Promise<void>((r) => server.close(() => r()));
    await t.close();
  });

  it('serves the limit, queues the next, refuses the rest at once with 503, and always answers health and metrics', async () => {
    const first = get(port, '/fhir/$test-hold'); // in flight, held
    await hold.entered();
    const second = get(port, '/fhir/Patient?_count=1'); // waits for a turn
    while ((await metric(port, 'nimbus_requests_queued')) < 1) await new Promise((r) => setTimeout(r, 10));
    expect(await metric(port, 'nimbus_requests_in_flight')).toBe(1);

    // Full: refused at once, reads by id (fast path) included.
    expectOutcome(await get(port, '/fhir/Patient?_count=1'), 503, 'throttled');
    expectOutcome(await get(port, '/fhir/Patient/some-id'), 503, 'throttled');
    expect(await metric(port, 'nimbus_requests_shed_total')).toBe(2);
    // Health and metrics are never held back.
    expect((await get(port, '/healthz')).status).toBe(200);
    expect((await get(port, '/readyz')).status).toBe(200);

    hold.release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // Capacity is back.
    expect((await get(port, '/fhir/Patient?_count=1')).status).toBe(200);
    expect(await metric(port, 'nimbus_requests_in_flight')).toBe(0);
  });
});

describe('per-IP rate limit', () => {
  let t: TestServer;
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    t = await makeTestServer({ env: { NIMBUS_RATE_LIMIT_IP: '3/m' } });
    ({ server, port } = await listen(t));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await t.close();
  });

  it('answers 429 with Retry-After and an OperationOutcome beyond the rate, health endpoints still answered', async () => {
    for (let i = 0; i < 3; i++) expect((await get(port, '/fhir/Patient?_count=1')).status).toBe(200);
    const refused = await get(port, '/fhir/Patient?_count=1');
    expectOutcome(refused, 429, 'throttled');
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(20); // one token per 20 s
    expectOutcome(await get(port, '/fhir/Patient/x'), 429, 'throttled');
    expect((await get(port, '/healthz')).status).toBe(200);
    expect(await metric(port, 'nimbus_requests_rate_limited_total')).toBe(2);
  });
});

describe('per-caller rate limit', () => {
  let t: TestServer;
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    // The test's own authentication: a caller named by a header (anonymous without it).
    const authenticate = (req: http.IncomingMessage): Caller => {
      const user = req.headers['x-test-user'];
      return typeof user === 'string' ? { kind: 'user', fhirUser: `Practitioner/${user}` } : { kind: 'anonymous' };
    };
    t = await makeTestServer({ env: { NIMBUS_RATE_LIMIT_CALLER: '2/h' }, overrides: { authenticate } });
    ({ server, port } = await listen(t));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await t.close();
  });

  it('limits each authenticated caller on its own and leaves anonymous callers to the IP limit', async () => {
    const asA = { 'x-test-user': 'a' };
    expect((await get(port, '/fhir/Patient?_count=1', asA)).status).toBe(200);
    expect((await get(port, '/fhir/Patient?_count=1', asA)).status).toBe(200);
    expectOutcome(await get(port, '/fhir/Patient?_count=1', asA), 429, 'throttled');
    expectOutcome(await get(port, '/fhir/Patient/x', asA), 429, 'throttled'); // the fast path too
    expect(await metric(port, 'nimbus_requests_rate_limited_total')).toBe(2);
    expect((await get(port, '/fhir/Patient?_count=1', { 'x-test-user': 'b' })).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await get(port, '/fhir/Patient?_count=1')).status).toBe(200);
  });
});

describe('RateLimiter', () => {
  it('refills over time, divides the rate among processes and forgets idle clients', () => {
    let now = 0;
    const limiter = new RateLimiter({ requests: 10, perMs: 1000 }, 2, () => now, 100);
    expect(limiter.capacity).toBe(5);
    for (let i = 0; i < 5; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1);
    now += 200; // one token back at 5 per second
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
    for (let i = 0; i < 150; i++) limiter.take(`client-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('is off by default and configured by rates', () => {
    const defaults = loadConfig({});
    expect(defaults.rateLimitPerIp).toBeUndefined();
    expect(defaults.rateLimitPerCaller).toBeUndefined();
    expect(loadConfig({ NIMBUS_RATE_LIMIT_IP: '6000/m' }).rateLimitPerIp).toEqual({ requests: 6000, perMs: 60_000 });
    expect(() => loadConfig({ NIMBUS_RATE_LIMIT_IP: 'lots' })).toThrow(/NIMBUS_RATE_LIMIT_IP must be off or a rate/);
  });
});
