// Asynchronous operations (R4 async.html) through the job machinery, on every engine: kick-off with
// Prefer: respond-async, polling with X-Progress, the result, failures, cancellation, progress on
// /metrics, a job answered only to its caller, and jobs whose process stopped taken over.
import type { OperationDefinition } from '@medplum/fhirtypes';
import { ANONYMOUS } from '../../src/access/caller';
import type { OperationModule } from '../../src/operations/types';
import { errors } from '../../src/fhir/errors';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

/** A long operation of the test's own: it walks `steps` steps, saving a resume point after each,
 * and waits for the test to open a gate before each step. */
function stepsOperation(gates: { open: (step: number) => Promise<void> }, resumable: boolean, code = 'steps'): OperationModule {
  const definition: OperationDefinition = {
    resourceType: 'OperationDefinition',
    id: `test-${code}`,
    url: `http://example.org/OperationDefinition/test-${code}`,
    name: 'Steps',
    status: 'active',
    kind: 'operation',
    code,
    system: true,
    type: false,
    instance: false,
    parameter: [
      { name: 'steps', use: 'in', min: 1, max: '1', type: 'positiveInt' },
      { name: 'fail', use: 'in', min: 0, max: '1', type: 'boolean' },
      { name: 'walked', use: 'out', min: 1, max: '1', type: 'integer' },
      { name: 'attempt', use: 'out', min: 1, max: '1', type: 'string' },
    ],
  };
  return {
    definition,
    affectsState: false,
    async: 'allowed',
    resumable,
    handler: async (call) => {
      const steps = call.params.number('steps')!;
      const from = (call.job.checkpoint as number | undefined) ?? 0;
      for (let i = from; i < steps; i++) {
        await gates.open(i);
        call.job.throwIfCancelled();
        if (call.params.boolean('fail') && i === 1) throw errors.badRequest('step 1 does not like this input');
        await call.job.save(i + 1, i + 1, steps);
      }
      return { out: { walked: steps - from, attempt: call.job.checkpoint === undefined ? 'first' : 'resumed' } };
    },
    example: { level: 'system', parameters: { resourceType: 'Parameters', parameter: [{ name: 'steps', valuePositiveInt: 1 }] } },
  };
}

/** Gates the test opens one step at a time (a step waits until its gate is open). */
function gates() {
  const waiting = new Map<number, () => void>();
  const opened = new Set<number>();
  return {
    open: (step: number) => (opened.has(step) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(step, resolve))),
    release(step: number) {
      opened.add(step);
      waiting.get(step)?.();
    },
    releaseAll(upTo: number) {
      for (let i = 0; i < upTo; i++) this.release(i);
    },
    reached: (step: number) => waiting.has(step),
  };
}

// Generous: the deadline only bounds a broken run; a loaded machine (FerretDB on 2 busy cores) is slow.
jest.setTimeout(180_000);
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const JOB_ENV = { NIMBUS_JOB_POLL_INTERVAL: '50ms', NIMBUS_JOB_LEASE: '2s' };

describeEachEngine('asynchronous operations', (factory) => {
  let t: TestServer;
  const g = gates();
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: JOB_ENV, overrides: { operations: [stepsOperation(g, true)] } });
  });
  afterAll(() => t.close());
  const kickOff = (params: object[]) =>
    t.http.post('/fhir/$steps').set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send({ resourceType: 'Parameters', parameter: params });
  const statusPath = (res: { headers: Record<string, string> }) => new URL(res.headers['content-location']).pathname;

  it('answers 202 with a status URL, reports progress while running, and the result when done', async () => {
    const res = await kickOff([{ name: 'steps', valuePositiveInt: 3 }]);
    expect(res.status).toBe(202);
    expect(res.headers['content-location']).toMatch(/\/fhir\/_async\/[0-9a-f-]{36}$/);
    const status = statusPath(res);
    await until('step 0 to be reached', async () => (g.reached(0) ? true : undefined));
    const running = await t.http.get(status);
    expect([running.status, running.headers['retry-after']]).toEqual([202, '2']);
    g.release(0);
    const progressed = await until('progress 1/3', async () => {
      const r = await t.http.get(status);
      return /1\/3/.test(r.headers['x-progress'] ?? '') ? r : undefined;
    });
    expect(progressed.headers['x-progress']).toMatch(/^in progress: 1\/3 \(33\.3 %\)/);
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/nimbus_job_progress_ratio\{[^}]*operation="steps"[^}]*\} 0\.33/);
    g.release(1);
    g.release(2);
    const done = await until('completion', async () => {
      const r = await t.http.get(status);
      return r.status === 200 ? r : undefined;
    }).catch(async (e) => {
      const jobs = t.server.services.jobs as unknown as { all(): AsyncIterable<unknown> };
      for await (const j of jobs.all()) console.log(JSON.stringify(j));
      throw e;
    });
    expect(done.body).toEqual({ resourceType: 'Parameters', parameter: [{ name: 'walked', valueInteger: 3 }, { name: 'attempt', valueString: 'first' }] });
  });

  it('runs inline without Prefer: respond-async, and refuses an unknown status URL with 404', async () => {
    g.releaseAll(10);
    const res = await t.http.post('/fhir/$steps').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'steps', valuePositiveInt: 2 }] });
    expect(res.status).toBe(200);
    const unknown = await t.http.get('/fhir/_async/00000000-0000-0000-0000-000000000000');
    expect([unknown.status, unknown.body.issue[0].code]).toEqual([404, 'not-found']);
    expect((await t.http.get('/fhir/_async/not..an..id')).status).toBe(404);
  });

  it('reports a failure with its own status and OperationOutcome', async () => {
    g.releaseAll(10);
    const res = await kickOff([{ name: 'steps', valuePositiveInt: 3 }, { name: 'fail', valueBoolean: true }]);
    const failed = await until('failure', async () => {
      const r = await t.http.get(statusPath(res));
      return r.status !== 202 ? r : undefined;
    });
    expect([failed.status, failed.body.issue[0].diagnostics]).toEqual([400, 'step 1 does not like this input']);
  });

  it('cancels with DELETE: the job stops and its status URL answers 404', async () => {
    const cancelGates = gates();
    const other = await makeTestServer({ engine: await factory.make(), env: JOB_ENV, overrides: { operations: [stepsOperation(cancelGates, true)] } });
    try {
      const res = await other.http.post('/fhir/$steps').set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send({ resourceType: 'Parameters', parameter: [{ name: 'steps', valuePositiveInt: 5 }] });
      const status = statusPath(res);
      await until('step 0', async () => (cancelGates.reached(0) ? true : undefined));
      const del = await other.http.delete(status);
      expect(del.status).toBe(202);
      cancelGates.releaseAll(5);
      expect((await other.http.get(status)).status).toBe(404);
      expect((await other.http.delete(status)).status).toBe(404);
      const counts = await until('the runner to let go', async () => {
        const c = await other.server.services.jobs.counts();
        return c && c.running === 0 ? c : undefined;
      });
      expect(counts.cancelled).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('runs at most NIMBUS_MAX_JOBS at once; the others queue', async () => {
    const queueGates = gates();
    const one = await makeTestServer({ engine: await factory.make(), env: { ...JOB_ENV, NIMBUS_MAX_JOBS: '1' }, overrides: { operations: [stepsOperation(queueGates, true)] } });
    try {
      const start = () => one.http.post('/fhir/$steps').set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send({ resourceType: 'Parameters', parameter: [{ name: 'steps', valuePositiveInt: 1 }] });
      const [a, b] = [await start(), await start()];
      await until('the first job to run', async () => (queueGates.reached(0) ? true : undefined));
      const second = await one.http.get(statusPath(b));
      expect([second.status, second.headers['x-progress']]).toEqual([202, 'queued']);
      expect((await one.server.services.jobs.counts()).running).toBe(1);
      queueGates.release(0);
      for (const res of [a, b]) await until('both to finish', async () => ((await one.http.get(statusPath(res))).status === 200 ? true : undefined));
    } finally {
      await one.close();
    }
  });

  it('answers a job only to the caller who started it', async () => {
    g.releaseAll(10);
    const callerOf = (req: { headers: Record<string, unknown> }) => (req.headers['x-who'] === 'b' ? { kind: 'user' as const, fhirUser: 'Practitioner/b' } : ANONYMOUS);
    const shared = await makeTestServer({ engine: await factory.make(), env: JOB_ENV, overrides: { operations: [stepsOperation(g, true)], authenticate: (req) => callerOf(req) } });
    try {
      const res = await shared.http.post('/fhir/$steps').set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send({ resourceType: 'Parameters', parameter: [{ name: 'steps', valuePositiveInt: 1 }] });
      const status = statusPath(res);
      await until('completion', async () => ((await shared.http.get(status)).status === 200 ? true : undefined));
      expect((await shared.http.get(status).set('X-Who', 'b')).status).toBe(404);
      expect((await shared.http.delete(status).set('X-Who', 'b')).status).toBe(404);
    } finally {
      await shared.close();
    }
  });
});

describeEachEngine('jobs whose process stopped', (factory) => {
  it.each([true, false])('are resumed from their checkpoint when resumable (%s), failed with the reason otherwise', async (resumable) => {
    const engine = await factory.make();
    const first = gates();
    const crashed = await makeTestServer({ engine, env: JOB_ENV, overrides: { operations: [stepsOperation(first, resumable)] } });
    const res = await crashed.http.post('/fhir/$steps').set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send({ resourceType: 'Parameters', parameter: [{ name: 'steps', valuePositiveInt: 4 }] });
    const status = new URL(res.headers['content-location']).pathname;
    first.release(0);
    first.release(1);
    await until('step 2', async () => (first.reached(2) ? true : undefined));
    // The process "dies": its runner stops dead (no hand-back, no more heartbeats) mid-job.
    (crashed.server.services.jobs as unknown as { runner: { stopped: boolean; timer?: NodeJS.Timeout; running: Map<string, { heartbeat: NodeJS.Timeout }> } }).runner.stopped = true;
    const runner = (crashed.server.services.jobs as unknown as { runner: { timer?: NodeJS.Timeout; running: Map<string, { heartbeat: NodeJS.Timeout }> } }).runner;
    clearInterval(runner.timer);
    for (const r of runner.running.values()) clearInterval(r.heartbeat);

    const second = gates();
    second.releaseAll(10);
    const successor = await makeTestServer({ engine, env: JOB_ENV, overrides: { operations: [stepsOperation(second, resumable)] } });
    try {
      const final = await until('the job to end', async () => {
        const r = await successor.http.get(status);
        return r.status === 202 ? undefined : r;
      });
      if (resumable) {
        expect(final.status).toBe(200);
        expect(final.body.parameter).toEqual([{ name: 'walked', valueInteger: 2 }, { name: 'attempt', valueString: 'resumed' }]);
      } else {
        expect(final.status).toBe(500);
        expect(final.body.issue[0]).toMatchObject({ code: 'incomplete', diagnostics: expect.stringMatching(/stopped before it finished.*cannot resume: start it again/) });
      }
    } finally {
      await successor.close();
    }
  });
});
