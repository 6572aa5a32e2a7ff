// Scale-out, proven (issue 18): three real server processes over ONE MongoDB database, started at
// the same moment, behind a round-robin proxy. Through the proxy, the REST, search and Bundle
// contract suites (test/contract/) pass, and the guarantees that need the database to arbitrate
// between processes hold: one winner per version for concurrent If-Match updates, one resource
// for concurrent conditional creates, and any process answers an async job's status.
// Every contract suite runs; on MongoDB, r4-examples runs its per-type sample rather than all 5,300
// examples (declared in test/contract/skips.ts).
import { runContract } from '../contract/contract';
import { conditionalContract } from '../contract/conditional.case';
import { crudContract } from '../contract/crud.case';
import { errorsContract } from '../contract/errors.case';
import { fastReadContract } from '../contract/fast-read.case';
import { historyContract } from '../contract/history.case';
import { officialExamplesContract } from '../contract/official-examples.case';
import { operationalContract } from '../contract/operational.case';
import { patchContract } from '../contract/patch.case';
import { processTarget, startProcessGroup, type ProcessGroup } from '../contract/process-target';
import { r4ExamplesContract } from '../contract/r4-examples.case';
import { searchContract } from '../contract/search.case';
import { transactionContract } from '../contract/transaction.case';

const PROCESSES = 3;
const FHIR = 'application/fhir+json';
const uri = process.env.MONGODB_URI;
jest.setTimeout(300_000);

const target = processTarget(PROCESSES);
for (const suite of [crudContract, conditionalContract, errorsContract, historyContract, patchContract, searchContract, fastReadContract, operationalContract, transactionContract, officialExamplesContract, r4ExamplesContract]) {
  runContract(suite, [target]);
}

const describeWithServer = uri ? describe : describe.skip;
if (!uri) {
  // eslint-disable-next-line no-console
  console.log('[multi-process] guarantees across processes: SKIPPED — MONGODB_URI is not set');
}

describeWithServer(`guarantees across ${PROCESSES} processes over one database`, () => {
  let g: ProcessGroup;
  beforeAll(async () => {
    g = await startProcessGroup(uri!, PROCESSES, { NIMBUS_JOB_POLL_INTERVAL: '100ms' });
  });
  afterAll(() => g?.close());

  const upstreamsOf = (responses: Array<{ headers: Record<string, string> }>) => new Set(responses.map((r) => r.headers['x-upstream']));

  it('concurrent If-Match updates of one resource: exactly one winner per version, the others 412/409', async () => {
    const created = await g.http.put('/fhir/Patient/race').set('Content-Type', FHIR).send(JSON.stringify({ resourceType: 'Patient', id: 'race' }));
    expect(created.status).toBe(201);
    for (let version = 1; version <= 3; version++) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          g.http
            .put('/fhir/Patient/race')
            .set('Content-Type', FHIR)
            .set('If-Match', `W/"${version}"`)
            .send(JSON.stringify({ resourceType: 'Patient', id: 'race', name: [{ family: `v${version}-w${i}` }] })),
        ),
      );
      expect(upstreamsOf(answers).size).toBe(PROCESSES);
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 412 || s === 409)).toBe(true);
      const winner = answers.find((a) => a.status === 200)!;
      expect(winner.headers.etag).toBe(`W/"${version + 1}"`);
      const current = await g.http.get('/fhir/Patient/race');
      expect(current.body.meta.versionId).toBe(String(version + 1));
      expect(current.body.name).toEqual(winner.body.name);
    }
    const history = await g.http.get('/fhir/Patient/race/_history');
    expect(history.body.total).toBe(4);
  });

  it('concurrent conditional creates with one If-None-Exist: exactly one resource', async () => {
    const answers = await Promise.all(
      Array.from({ length: 18 }, () =>
        g.http
          .post('/fhir/Patient')
          .set('Content-Type', FHIR)
          .set('If-None-Exist', 'identifier=http://example.org/mrn|mp-1')
          .send(JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'http://example.org/mrn', value: 'mp-1' }] })),
      ),
    );
    expect(upstreamsOf(answers).size).toBe(PROCESSES);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(17);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const found = await g.http.get('/fhir/Patient?identifier=http://example.org/mrn|mp-1&_total=accurate');
    expect(found.body.total).toBe(1);
  });

  it('an async $reindex started on one process is answered by any process until done', async () => {
    const entry = Array.from({ length: 60 }, (_, i) => ({ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family: `R${i}` }] } }));
    const loaded = await g.http.post('/fhir').set('Content-Type', FHIR).send(JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }));
    expect(loaded.status).toBe(200);
    const kick = await g.http
      .post('/fhir/Patient/$reindex')
      .set('Content-Type', FHIR)
      .set('Prefer', 'respond-async')
      .send(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'batchSize', valuePositiveInt: 5 }] }));
    expect(kick.status).toBe(202);
    const status = new URL(kick.headers['content-location']).pathname;
    const polls: Array<{ status: number; headers: Record<string, string>; body: { parameter?: Array<{ name: string; valueInteger: number }> } }> = [];
    for (;;) {
      const poll = await g.http.get(status);
      polls.push(poll);
      expect([200, 202]).toContain(poll.status);
      if (poll.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Round robin: consecutive polls reach different processes; every one of them knew the job.
    for (;;) {
      if (upstreamsOf(polls).size === PROCESSES) break;
      const again = await g.http.get(status);
      expect(again.status).toBe(200);
      polls.push(again);
    }
    const done = polls[polls.length - 1];
    const out = Object.fromEntries(done.body.parameter!.map((p) => [p.name, p.valueInteger]));
    expect(out.reindexed + out.skipped).toBeGreaterThanOrEqual(60);
    expect(out.types).toBe(1);
  });

  it('spreads the requests over every process', () => {
    expect(g.proxy.counts.every((n) => n > 10)).toBe(true);
  });
});
