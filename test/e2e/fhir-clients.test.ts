// Client libraries no one here wrote, against the real server process (the built CLI on a loopback
// port), on each engine:
// - fhir-kit-client: the capability statement, create, read, vread, update, patch, delete, search
//   paged through nextPage to the end, history, batch and transaction with urn:uuid references,
//   conditional create and update, an operation;
// - fhirclient (SMART's JavaScript client, used here anonymously; the SMART launch is in
//   smart-clients.test.ts): the same reads through request(), with pageLimit across pages.
import { randomBytes } from 'node:crypto';
import { Client } from 'fhir-kit-client';
import smart from 'fhirclient';
import { MongoClient } from 'mongodb';
import { mongoHasTransactions } from '../contract/target';
import { tempDir } from '../support/engines';
import { startServerProcess, waitForExit, type ServerProcess } from '../support/process';

type Json = Record<string, any>;

interface ProcessEngine {
  name: 'sqlite' | 'mongodb';
  skipReason?: string;
  /** Atomic multi-document transactions (FerretDB and a standalone MongoDB refuse transaction Bundles). */
  transactions(): boolean;
  env(): Record<string, string>;
  cleanup(): Promise<void>;
}

const MONGODB_URI = process.env.MONGODB_URI;
const database = `nimbus_test_clients_${randomBytes(4).toString('hex')}`;
const ENGINES: ProcessEngine[] = [
  { name: 'sqlite', transactions: () => true, env: () => ({ NIMBUS_DATA_DIR: tempDir() }), cleanup: async () => undefined },
  {
    name: 'mongodb',
    skipReason: MONGODB_URI ? undefined : 'MONGODB_URI is not set',
    transactions: () => mongoHasTransactions(MONGODB_URI!),
    env: () => ({ NIMBUS_ENGINE: 'mongodb', MONGODB_URI: MONGODB_URI!, NIMBUS_MONGODB_DATABASE: database, NIMBUS_DATA_DIR: tempDir() }),
    cleanup: async () => {
      const client = await MongoClient.connect(MONGODB_URI!);
      await client.db(database).dropDatabase().catch(() => undefined);
      await client.close();
    },
  },
];

/** Status of the HTTP error a fhir-kit-client call was rejected with. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (e) {
    return (e as { response?: { status?: number } }).response?.status ?? -1;
  }
  return 200;
}

const PAGE = 3;
const PATIENTS = 8; // three pages of three: 3 + 3 + 2

for (const engine of ENGINES) {
  if (engine.skipReason) {
    // eslint-disable-next-line no-console
    console.log(`[engine ${engine.name}] FHIR client libraries: SKIPPED — ${engine.skipReason}`);
    describe.skip(`FHIR client libraries [${engine.name}] (skipped: ${engine.skipReason})`, () => {
      it('is skipped', () => undefined);
    });
    continue;
  }

  describe(`FHIR client libraries against the server process [${engine.name}]`, () => {
    let server: ServerProcess;
    let fkc: Client;
    const family = `Kit${randomBytes(3).toString('hex')}`;
    beforeAll(async () => {
      server = await startServerProcess({ ...engine.env(), NIMBUS_DEFAULT_COUNT: String(PAGE) }, 60_000);
      fkc = new Client({ baseUrl: server.baseUrl });
    }, 90_000);
    afterAll(async () => {
      if (server) {
        server.child.kill('SIGTERM');
        await waitForExit(server.child);
      }
      await engine.cleanup();
    });

    it('fhir-kit-client: capability statement', async () => {
      const cs = (await fkc.capabilityStatement()) as Json;
      expect(cs.resourceType).toBe('CapabilityStatement');
      expect(cs.fhirVersion).toBe('4.0.1');
      const patient = cs.rest[0].resource.find((r: Json) => r.type === 'Patient');
      expect(patient.interaction.map((i: Json) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'update', 'patch', 'delete', 'create', 'search-type']));
    });

    it('fhir-kit-client: create, read, vread, update, patch, history, delete', async () => {
      const created = (await fkc.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family, given: ['Ada'] }], gender: 'female' } })) as Json;
      expect(created.id).toEqual(expect.any(String));
      expect(created.meta.versionId).toBe('1');
      const read = (await fkc.read({ resourceType: 'Patient', id: created.id })) as Json;
      expect(read.name[0].family).toBe(family);

      const updated = (await fkc.update({ resourceType: 'Patient', id: created.id, body: { ...read, birthDate: '1990-02-03' } })) as Json;
      expect(updated.meta.versionId).toBe('2');
      const patched = (await fkc.patch({ resourceType: 'Patient', id: created.id, jsonPatch: [{ op: 'replace', path: '/gender', value: 'other' }] })) as Json;
      expect(patched).toMatchObject({ gender: 'other', birthDate: '1990-02-03', meta: { versionId: '3' } });

      const v1 = (await fkc.vread({ resourceType: 'Patient', id: created.id, version: '1' })) as Json;
      expect(v1.gender).toBe('female');
      expect(v1.birthDate).toBeUndefined();

      const history = (await fkc.history({ resourceType: 'Patient', id: created.id })) as Json;
      expect(history.type).toBe('history');
      expect(history.entry.map((e: Json) => e.resource.meta.versionId)).toEqual(['3', '2', '1']);

      await fkc.delete({ resourceType: 'Patient', id: created.id });
      expect(await statusOf(fkc.read({ resourceType: 'Patient', id: created.id }))).toBe(410);
      const after = (await fkc.history({ resourceType: 'Patient', id: created.id })) as Json;
      expect(after.entry[0].request.method).toBe('DELETE');
    });

    it('fhir-kit-client: search pages through nextPage to the end', async () => {
      for (let i = 0; i < PATIENTS; i++) await fkc.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: `${family}Page`, given: [`P${i}`] }] } });
      let bundle = (await fkc.search({ resourceType: 'Patient', searchParams: { family: `${family}Page`, _sort: 'given' } })) as Json;
      const seen: string[] = [];
      let pages = 0;
      while (bundle) {
        pages++;
        expect(bundle.type).toBe('searchset');
        seen.push(...(bundle.entry ?? []).map((e: Json) => e.resource.name[0].given[0]));
        bundle = (await fkc.nextPage({ bundle: bundle as never })) as Json;
      }
      expect(pages).toBe(Math.ceil(PATIENTS / PAGE));
      expect(seen).toEqual(Array.from({ length: PATIENTS }, (_, i) => `P${i}`));
    });

    it('fhir-kit-client: a transaction whose urn:uuid references are resolved', async () => {
      const patientUrn = 'urn:uuid:6f1c1f8e-4a2b-4c1d-9e0f-111111111111';
      const send = () =>
        fkc.transaction({
          body: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              { fullUrl: patientUrn, resource: { resourceType: 'Patient', name: [{ family: `${family}Tx` }] }, request: { method: 'POST', url: 'Patient' } },
              {
                fullUrl: 'urn:uuid:6f1c1f8e-4a2b-4c1d-9e0f-222222222222',
                resource: { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: patientUrn }, valueQuantity: { value: 70, unit: 'kg' } },
                request: { method: 'POST', url: 'Observation' },
              },
            ],
          } as never,
        });
      if (!engine.transactions()) {
        // This deployment cannot make the Bundle atomic: refused with a 400 saying so, nothing written.
        const refusal = (await send().catch((e: { response?: { status: number; data: Json } }) => e.response)) as { status: number; data: Json };
        expect(refusal.status).toBe(400);
        expect(refusal.data.issue[0].diagnostics).toMatch(/atomic transaction needs MongoDB as a replica set/);
        expect(((await fkc.search({ resourceType: 'Patient', searchParams: { family: `${family}Tx` } })) as Json).entry ?? []).toEqual([]);
        return;
      }
      const tx = (await send()) as Json;
      expect(tx.type).toBe('transaction-response');
      expect(tx.entry.map((e: Json) => e.response.status)).toEqual([expect.stringMatching(/^201/), expect.stringMatching(/^201/)]);
      const patientId = /Patient\/([^/]+)/.exec(tx.entry[0].response.location)![1];
      const obsId = /Observation\/([^/]+)/.exec(tx.entry[1].response.location)![1];
      const obs = (await fkc.read({ resourceType: 'Observation', id: obsId })) as Json;
      expect(obs.subject.reference).toBe(`Patient/${patientId}`);
    });

    it('fhir-kit-client: batch', async () => {
      const patient = (await fkc.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: `${family}Batch` }] } })) as Json;
      const batch = (await fkc.batch({
        body: {
          resourceType: 'Bundle',
          type: 'batch',
          entry: [
            {
              resource: { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/${patient.id}` } },
              request: { method: 'POST', url: 'Observation' },
            },
            { request: { method: 'GET', url: `Patient/${patient.id}` } },
            { request: { method: 'GET', url: 'Patient/does-not-exist' } },
          ],
        } as never,
      })) as Json;
      expect(batch.type).toBe('batch-response');
      expect(batch.entry.map((e: Json) => e.response.status.slice(0, 3))).toEqual(['201', '200', '404']);
      const found = (await fkc.search({ resourceType: 'Observation', searchParams: { subject: `Patient/${patient.id}` } })) as Json;
      expect(found.entry.map((e: Json) => e.resource.id)).toEqual([/Observation\/([^/]+)/.exec(batch.entry[0].response.location)![1]]);
    });

    it('fhir-kit-client: conditional create and conditional update', async () => {
      const identifier = [{ system: 'http://example.org/mrn', value: `mrn-${family}` }];
      const body = { resourceType: 'Patient', identifier, name: [{ family: `${family}Cond` }] };
      const options = { headers: { 'If-None-Exist': `identifier=http://example.org/mrn|mrn-${family}` } };
      const first = (await fkc.create({ resourceType: 'Patient', body, options })) as Json;
      const second = (await fkc.create({ resourceType: 'Patient', body, options })) as Json;
      expect(second.id).toBe(first.id);
      expect(second.meta.versionId).toBe('1');
      const search = (await fkc.search({ resourceType: 'Patient', searchParams: { identifier: `http://example.org/mrn|mrn-${family}` } })) as Json;
      expect(search.entry).toHaveLength(1);
      const updated = (await fkc.update({
        resourceType: 'Patient',
        searchParams: { identifier: `http://example.org/mrn|mrn-${family}` },
        body: { ...body, active: true },
      } as never)) as Json;
      expect(updated).toMatchObject({ id: first.id, active: true, meta: { versionId: '2' } });
    });

    it('fhir-kit-client: operations ($validate on the type, $meta on an instance)', async () => {
      const invalid = (await fkc
        .operation({ name: '$validate', resourceType: 'Patient', input: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', gender: 'sometimes' } }] } })
        .catch((e: { response?: { data?: Json } }) => e.response?.data)) as Json;
      expect(invalid.resourceType).toBe('OperationOutcome');
      expect(invalid.issue.some((i: Json) => i.severity === 'error')).toBe(true);
      const p = (await fkc.create({ resourceType: 'Patient', body: { resourceType: 'Patient', meta: { tag: [{ system: 'http://example.org/tags', code: 'kit' }] } } })) as Json;
      const meta = (await fkc.operation({ name: '$meta', resourceType: 'Patient', id: p.id, method: 'get' })) as Json;
      expect(meta.resourceType).toBe('Parameters');
      expect(meta.parameter[0].valueMeta.tag).toEqual([{ system: 'http://example.org/tags', code: 'kit' }]);
    });

    it('fhirclient: the same reads through request(), with pageLimit across pages', async () => {
      const client = smart({} as never, {} as never).client({ serverUrl: server.baseUrl });
      const created = (await client.create({ resourceType: 'Patient', name: [{ family: `${family}Smart` }] })) as Json;
      expect((await client.request(`Patient/${created.id}`)) as Json).toMatchObject({ id: created.id, name: [{ family: `${family}Smart` }] });
      expect((await client.request(`Patient/${created.id}/_history/1`)) as Json).toMatchObject({ id: created.id, meta: { versionId: '1' } });
      const history = (await client.request(`Patient/${created.id}/_history`)) as Json;
      expect(history.type).toBe('history');
      // Two of the three pages of the paging test's patients, as an array of Bundles.
      const two = (await client.request(`Patient?family=${family}Page&_sort=given`, { pageLimit: 2 })) as Json[];
      expect(two).toHaveLength(2);
      expect(two.flatMap((b) => b.entry.map((e: Json) => e.resource.name[0].given[0]))).toEqual(['P0', 'P1', 'P2', 'P3', 'P4', 'P5']);
      // pageLimit 0: every page, flattened to the resources.
      const all = (await client.request(`Patient?family=${family}Page&_sort=given`, { pageLimit: 0, flat: true })) as Json[];
      expect(all.map((r) => r.name[0].given[0])).toEqual(Array.from({ length: PATIENTS }, (_, i) => `P${i}`));
      const cs = (await client.request('metadata')) as Json;
      expect(cs.resourceType).toBe('CapabilityStatement');
      await expect(client.request('Patient/does-not-exist')).rejects.toMatchObject({ status: 404 });
    });
  });
}
