// $reindex on every engine: resources stored with stale index values (as after a new
// SearchParameter, or an indexer change) become findable; the job pages, counts, resumes from its
// checkpoint, runs asynchronously, and leaves writes made meanwhile alone.
import type { Resource } from '@medplum/fhirtypes';
import { emptyIndexValues } from '../../src/search/index-values';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
// Without transactions (FerretDB) each in-place rewrite takes a lock round trip: slow on a busy machine.
jest.setTimeout(240_000);

/** Stores resources the way an older indexer would have left them: with no index values at all. */
async function storeUnindexed(engine: Engine, resources: Resource[]): Promise<void> {
  await engine.transaction(async (tx) => {
    for (const r of resources) {
      const lastUpdated = new Date(Date.UTC(2024, 0, 1, 0, 0, resources.indexOf(r))).toISOString();
      const withMeta = { ...r, meta: { versionId: '1', lastUpdated } };
      await tx.write({ resourceType: r.resourceType, id: r.id!, versionId: 1, lastUpdated, deleted: false, json: JSON.stringify(withMeta), index: emptyIndexValues() });
    }
  });
}

const patients = Array.from({ length: 23 }, (_, i) => ({ resourceType: 'Patient', id: `p${i}`, name: [{ family: `Reindexed${i % 3}` }] }) as Resource);
const observations = Array.from({ length: 7 }, (_, i) => ({ resourceType: 'Observation', id: `o${i}`, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/p${i}` } }) as Resource);

describeEachEngine('$reindex', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_JOB_POLL_INTERVAL: '50ms' } });
    await storeUnindexed(t.server.engine, [...patients, ...observations]);
  });
  afterAll(() => t.close());
  const total = async (query: string) => (await t.http.get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_summary=count`)).body.total as number;
  const post = (url: string, body: object, headers: Record<string, string> = {}) => t.http.post(url).set({ 'Content-Type': FHIR, ...headers }).send(body);
  const out = (body: { parameter: Array<{ name: string; valueInteger: number }> }) => Object.fromEntries(body.parameter.map((p) => [p.name, p.valueInteger]));

  it('makes resources with stale index values findable, type by type, in pages', async () => {
    expect(await total('Patient?family=reindexed')).toBe(0);
    const res = await post('/fhir/Patient/$reindex', { resourceType: 'Parameters', parameter: [{ name: 'batchSize', valuePositiveInt: 5 }] });
    expect(res.status).toBe(200);
    expect(out(res.body)).toEqual({ reindexed: 23, skipped: 0, types: 1 });
    expect(await total('Patient?family=reindexed')).toBe(23);
    expect(await total('Patient?family=reindexed1')).toBe(8);
    expect(await total('Observation?subject=Patient/p1')).toBe(0); // another type: not yet
    // Nothing became a new version.
    expect((await t.http.get('/fhir/Patient/p3/_history')).body.entry).toHaveLength(1);
  });

  it('runs at the system level asynchronously, for the types in _type, and is idempotent', async () => {
    const kick = await post('/fhir/$reindex', { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Observation,Patient' }, { name: 'batchSize', valuePositiveInt: 4 }] }, { Prefer: 'respond-async' });
    expect(kick.status).toBe(202);
    const status = new URL(kick.headers['content-location']).pathname;
    let done;
    for (let i = 0; i < 2000 && !done; i++) {
      const r = await t.http.get(status);
      if (r.status === 200) done = r;
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(out(done!.body)).toEqual({ reindexed: 30, skipped: 0, types: 2 });
    expect(await total('Observation?subject=Patient/p1')).toBe(1);
    const again = await post('/fhir/$reindex', { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Observation,Patient' }] });
    expect(out(again.body)).toEqual({ reindexed: 30, skipped: 0, types: 2 });
    expect(await total('Patient?family=reindexed')).toBe(23);
  });

  it('does not block writes, and keeps what writers wrote meanwhile', async () => {
    const reindexing = post('/fhir/Patient/$reindex', { resourceType: 'Parameters', parameter: [{ name: 'batchSize', valuePositiveInt: 1 }] });
    const writes = patients.slice(0, 10).map((p, i) => t.http.put(`/fhir/Patient/${p.id}`).set('Content-Type', FHIR).send({ ...p, name: [{ family: `Written${i}` }] }));
    const [res, ...written] = await Promise.all([reindexing, ...writes]);
    expect(written.map((w) => w.status)).toEqual(written.map(() => 200));
    expect(out(res.body).reindexed + out(res.body).skipped).toBe(23);
    expect(await total('Patient?family=written')).toBe(10);
    expect(await total('Patient?family=reindexed')).toBe(13);
  });

  it('refuses parameters it does not take', async () => {
    const typeLevel = await post('/fhir/Patient/$reindex', { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Observation' }] });
    expect([typeLevel.status, typeLevel.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'_type': is only for the system level/)]);
    const unknown = await post('/fhir/$reindex', { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient,Nonsense' }] });
    expect([unknown.status, unknown.body.issue[0].diagnostics]).toEqual([400, expect.stringMatching(/'Nonsense' is not an R4 resource type/)]);
    expect((await post('/fhir/$reindex', { resourceType: 'Parameters', parameter: [{ name: 'batchSize', valuePositiveInt: 5000 }] })).status).toBe(400);
    expect((await t.http.get('/fhir/Patient/$reindex')).status).toBe(405);
  });
});
