// Property-based fuzzing over real HTTP on both engines (issue 17): random resources, search query
// strings, JSON Patch / FHIRPath Patch documents and batch/transaction Bundles. The invariant for
// every request: the answer is a 2xx, or a 4xx carrying an OperationOutcome — never a 5xx — and a
// 4xx leaves the store exactly as it was (same history count, same newest version).
// Fixed seed and bounded case counts, so `npm test` is deterministic; FUZZ_SEED / FUZZ_RUNS
// override them for a longer exploratory run.
import fc from 'fast-check';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { createHttpServer } from '../../src/rest/http-limits';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { anyRequest, bundleText, fhirPathPatchText, jsonPatchText, resourceText, searchRequest } from './arbitraries';

const SEED = Number(process.env.FUZZ_SEED ?? 20261702);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const FHIR_JSON = 'application/fhir+json';

/** What a 4xx must leave untouched: how many versions exist and which is the newest. */
async function snapshot(engine: Engine): Promise<string> {
  const page = await engine.history({ count: 1 });
  const top = page.versions[0];
  return JSON.stringify([page.total, top && [top.resourceType, top.id, top.versionId, top.lastUpdated, top.json?.length]]);
}

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

async function checkAnswer(engine: Engine, label: string, send: () => supertest.Test): Promise<void> {
  const t0 = performance.now();
  const before = await snapshot(engine);
  const t1 = performance.now();
  const res = (await send()) as unknown as Answer;
  timing.snapshot += t1 - t0;
  timing.request += performance.now() - t1;
  statuses.set(`${label.split(' ')[0]} ${res.status}`, (statuses.get(`${label.split(' ')[0]} ${res.status}`) ?? 0) + 1);
  const where = `${label}: ${res.status} ${res.text.slice(0, 300)}`;
  // eslint-disable-next-line no-console
  if (process.env.FUZZ_STATS === '2' && res.status >= 400) console.log(`${label.slice(0, 150)} → ${res.status} ${res.text.slice(0, 250)}`);
  if (res.status >= 500) throw new Error(`server error — ${where}`);
  if (res.status >= 400) {
    const body = res.body as { resourceType?: string; issue?: unknown[] };
    if (body?.resourceType !== 'OperationOutcome' || !Array.isArray(body.issue) || body.issue.length === 0) throw new Error(`4xx without an OperationOutcome — ${where}`);
    const after = await snapshot(engine);
    if (after !== before) throw new Error(`a 4xx changed the store (${before} → ${after}) — ${where}`);
  } else if ((res.status < 200 || res.status >= 300) && res.status !== 304) {
    // 304: a conditional read (If-None-Match / If-Modified-Since) of an unchanged resource.
    throw new Error(`unexpected status — ${where}`);
  }
}

/** Answers seen, by request kind and status: printed with FUZZ_STATS=1 to see what the cases reach. */
const statuses = new Map<string, number>();
const timing = { snapshot: 0, request: 0 };
afterAll(() => {
  // eslint-disable-next-line no-console
  if (process.env.FUZZ_STATS) console.log(JSON.stringify(timing));
  // eslint-disable-next-line no-console
  if (process.env.FUZZ_STATS) console.log([...statuses].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
});

/** A property's own time limit: FUZZ_RUNS scales the cases, so it scales this too. A property cut
 * short by Jest would keep sending requests into the next one and blur its snapshots. */
const TIMEOUT_MS = 120_000 * Math.max(1, SCALE);

const params = (runs: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns: Math.max(1, Math.round(runs * SCALE)), endOnFailure: true });

describeEachEngine('fuzzing: every answer is a 2xx or a 4xx with an OperationOutcome, and a 4xx changes nothing', (factory) => {
  let t: TestServer;
  let engine: Engine;
  let listener: HttpServer;
  // The product's own HTTP server (its header and body limits), not supertest's bare one.
  let http: ReturnType<typeof supertest>;
  // FerretDB answers ~50 ms per query whatever its size (the store snapshot alone is two), so the
  // MongoDB run takes a sixteenth of the cases to stay well under a minute; FUZZ_RUNS scales both.
  const runs = (n: number) => (factory.name === 'mongodb' ? Math.ceil(n / 16) : n);

  beforeAll(async () => {
    engine = await factory.make();
    t = await makeTestServer({ engine });
    listener = createHttpServer(t.server.app, t.config);
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    http = supertest(`http://127.0.0.1:${(listener.address() as AddressInfo).port}`);
    const put = (path: string, body: unknown) => http.put(path).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
    expect((await put('/fhir/Patient/p', { resourceType: 'Patient', id: 'p', active: true, name: [{ family: 'Kowalski', given: ['Anna'] }], birthDate: '1980-02-03' })).status).toBe(201);
    expect(
      (await put('/fhir/Observation/o', { resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p' }, valueQuantity: { value: 1.5, unit: 'mg' } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await new Promise((r) => listener.close(r));
    await t.close();
  });

  it('random resources: POST and PUT', async () => {
    await fc.assert(
      fc.asyncProperty(resourceText, fc.constantFrom('POST', 'PUT'), async (generated, method) => {
        let text = generated;
        const typeMatch = /"resourceType":"([A-Za-z]+)"/.exec(text);
        const type = typeMatch?.[1] ?? 'Patient';
        // An update carries the id of its URL; a create may carry any (it is ignored).
        if (method === 'PUT' && text.startsWith('{"resourceType"')) text = `{"id":"fz",${text.slice(1)}`;
        await checkAnswer(engine, `${method} ${text.slice(0, 200)}`, () =>
          (method === 'POST' ? http.post(`/fhir/${type}`) : http.put(`/fhir/${type}/fz`)).set('Content-Type', FHIR_JSON).send(text),
        );
      }),
      params(runs(150)),
    );
  }, TIMEOUT_MS);

  it('random search query strings', async () => {
    await fc.assert(
      fc.asyncProperty(searchRequest, fc.boolean(), async (query, post) => {
        if (post) {
          const [path, qs] = query.split('?');
          const target = path.endsWith('/_search') ? path : `${path || 'Patient'}/_search`;
          await checkAnswer(engine, `POST ${target} ${qs}`, () => http.post(`/fhir/${target}`).set('Content-Type', 'application/x-www-form-urlencoded').send(qs));
        } else {
          const get = query.replace('/_search?', '?');
          await checkAnswer(engine, `GET ${get}`, () => http.get(`/fhir/${get}`));
        }
      }),
      params(runs(200)),
    );
  }, TIMEOUT_MS);

  it('random JSON Patch and FHIRPath Patch documents', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonPatchText.map((b) => ['json', b] as const), fhirPathPatchText.map((b) => ['fhirpath', b] as const)), fc.constantFrom('p', 'p', 'missing'), async ([kind, body], id) => {
        await checkAnswer(engine, `PATCH ${kind} ${body.slice(0, 200)}`, () =>
          http
            .patch(`/fhir/Patient/${id}`)
            .set('Content-Type', kind === 'json' ? 'application/json-patch+json' : FHIR_JSON)
            .send(body),
        );
      }),
      params(runs(150)),
    );
  }, TIMEOUT_MS);

  it('random batch and transaction Bundles', async () => {
    await fc.assert(
      fc.asyncProperty(bundleText, async (body) => {
        await checkAnswer(engine, `POST / ${body.slice(0, 300)}`, () => http.post('/fhir').set('Content-Type', FHIR_JSON).send(body));
      }),
      params(runs(100)),
    );
  }, TIMEOUT_MS);

  // Last: a DELETE here may remove the resources the other properties work on.
  it('random interactions: history, vread, conditional writes, operations, preconditions and Prefer', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest, async ({ method, path, headers, body }) => {
        // HEAD answers carry no body, so no OperationOutcome to check.
        const m = method === 'HEAD' ? 'GET' : method;
        await checkAnswer(engine, `${m} ${path} ${JSON.stringify(headers)} ${(body ?? '').slice(0, 150)}`, () => {
          const req = http[m.toLowerCase() as 'get'](`/fhir/${path}`).set(headers);
          return body === undefined ? req : req.send(body);
        });
      }),
      params(runs(150)),
    );
  }, TIMEOUT_MS);
});
