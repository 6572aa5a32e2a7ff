// Bulk Data $export on every engine: kick-off (202 + Content-Location), polling (X-Progress,
// Retry-After), the manifest, and the NDJSON files — for every type, the lines of its files equal
// the `_summary=count` of the same search (or a brute-force count over the generated records for
// compartment scopes), and every line parses and validates. Bad input is a 400 at kick-off;
// DELETE and expiry leave no files.
import type { Resource } from '@medplum/fhirtypes';
import fs from 'node:fs';
import path from 'node:path';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { generated, referencesIn, store } from './load';

// FerretDB (CI's MongoDB engine) takes minutes for a whole-system export on a busy machine.
jest.setTimeout(900_000);

const FHIR = 'application/fhir+json';
const data = generated(3, 33, 2);

interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count: number }>;
  error: unknown[];
}

/** Stored export files of a job, whichever engine keeps them (SQLite: its directory under the
 * data directory; MongoDB: its chunk documents). */
async function storedFiles(t: TestServer, jobId: string): Promise<number> {
  if (t.server.engine.kind === 'sqlite') {
    const dir = path.join(path.dirname(t.server.engine.location), 'files', jobId);
    return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
  }
  return (await t.server.engine.system.list('files', { prefix: `${jobId}/`, limit: 10 })).length;
}

describeEachEngine('$export', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    // 40 resources per file: Observations span several files (and resume points).
    t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_JOB_POLL_INTERVAL: '50ms', NIMBUS_EXPORT_FILE_RESOURCES: '40' } });
    await store(t.server, data.all);
  });
  afterAll(() => t.close());

  const local = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');

  async function kickOff(path: string, body?: object): Promise<string> {
    const req = body ? t.http.post(path).set({ 'Content-Type': FHIR, Prefer: 'respond-async' }).send(body) : t.http.get(path).set({ Prefer: 'respond-async', Accept: FHIR });
    const res = await req;
    expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([202, expect.anything()]);
    return local(res.headers['content-location']);
  }

  async function finish(status: string): Promise<Manifest> {
    const until = Date.now() + 600_000;
    while (Date.now() < until) {
      const poll = await t.http.get(status);
      if (poll.status === 200) return poll.body as Manifest;
      expect(poll.status).toBe(202);
      expect(poll.headers['x-progress']).toBeDefined();
      expect(poll.headers['retry-after']).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('export did not finish');
  }

  /** Lines per type, every one parsed and validated. */
  async function download(manifest: Manifest): Promise<Map<string, Resource[]>> {
    const byType = new Map<string, Resource[]>();
    for (const o of manifest.output) {
      const res = await t.http.get(local(o.url)).buffer(true).parse((r, cb) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => cb(null, text));
      });
      expect([o.url, res.status, res.headers['content-type']]).toEqual([o.url, 200, expect.stringContaining('application/fhir+ndjson')]);
      const lines = (res.body as string).split('\n').filter(Boolean);
      expect([o.url, lines.length]).toEqual([o.url, o.count]);
      for (const line of lines) {
        const r = JSON.parse(line) as Resource;
        expect(r.resourceType).toBe(o.type);
        const errorsFound = t.server.services.core.validator.validate(r, r.resourceType).filter((i) => i.severity === 'error' || i.severity === 'fatal');
        expect([r.id, errorsFound]).toEqual([r.id, []]);
        byType.set(o.type, [...(byType.get(o.type) ?? []), r]);
      }
    }
    return byType;
  }

  const count = async (query: string) => (await t.http.get(`/fhir/${query}${query.includes('?') ? '&' : '?'}_summary=count`)).body.total as number;

  it('exports the whole system: per type, lines equal _summary=count, no resource twice', async () => {
    const manifest = await finish(await kickOff('/fhir/$export'));
    expect(manifest.requiresAccessToken).toBe(false);
    expect(manifest.error).toEqual([]);
    expect(manifest.request).toMatch(/\/fhir\/\$export$/);
    expect(Number.isNaN(Date.parse(manifest.transactionTime))).toBe(false);
    const byType = await download(manifest);
    // The generated types, and the conformance resources the server stores for itself.
    const types = [...byType.keys()];
    expect(types).toEqual(expect.arrayContaining([...new Set(data.all.map((r) => r.resourceType))]));
    for (const type of types) {
      const ids = byType.get(type)!.map((r) => r.id);
      expect([type, ids.length]).toEqual([type, await count(type)]);
      expect([type, new Set(ids).size]).toEqual([type, ids.length]);
    }
    expect(manifest.output.filter((o) => o.type === 'Observation').length).toBeGreaterThan(1);
  });

  it('takes _type, _since, _typeFilter and _outputFormat', async () => {
    const since = new Date(Date.UTC(2026, 0, 1) + Math.floor(data.all.length / 2)).toISOString();
    const manifest = await finish(await kickOff(`/fhir/$export?_type=Patient,Observation,Encounter&_since=${since}&_outputFormat=${encodeURIComponent('application/fhir+ndjson')}&_typeFilter=${encodeURIComponent('Observation?category=vital-signs')}`));
    const byType = await download(manifest);
    expect([...byType.keys()].every((t) => ['Patient', 'Observation', 'Encounter'].includes(t))).toBe(true);
    expect(byType.get('Observation')?.length ?? 0).toBe(await count(`Observation?category=vital-signs&_lastUpdated=ge${since}`));
    expect(byType.get('Encounter')?.length ?? 0).toBe(await count(`Encounter?_lastUpdated=ge${since}`));
    expect(byType.get('Observation')!.length).toBeGreaterThan(0);
    const ndjson = await finish(await kickOff('/fhir/$export?_type=Patient&_outputFormat=ndjson'));
    expect(ndjson.output.reduce((n, o) => n + o.count, 0)).toBe(await count('Patient'));
  });

  it('exports Patient compartments (all, or the patients given) and a Group cohort', async () => {
    const patients = data.all.filter((r) => r.resourceType === 'Patient');
    const inCompartments = (ids: string[], type: string) =>
      data.all.filter((r) => r.resourceType === type && (type === 'Patient' ? ids.includes(r.id!) : referencesIn(r).some((x) => ids.some((id) => x === `Patient/${id}`)))).length;
    const all = await download(await finish(await kickOff('/fhir/Patient/$export?_type=Patient,Observation,Encounter,Appointment')));
    const ids = patients.map((p) => p.id!);
    for (const type of ['Patient', 'Observation', 'Encounter', 'Appointment']) expect([type, all.get(type)?.length ?? 0]).toEqual([type, inCompartments(ids, type)]);

    const one = patients[1].id!;
    const given = await download(await finish(await kickOff('/fhir/Patient/$export', { resourceType: 'Parameters', parameter: [{ name: '_type', valueString: 'Patient,Observation' }, { name: 'patient', valueReference: { reference: `Patient/${one}` } }] })));
    expect(given.get('Patient')!.map((p) => p.id)).toEqual([one]);
    expect(given.get('Observation')!.length).toBe(inCompartments([one], 'Observation'));

    const cohort = [patients[0].id!, patients[2].id!];
    await t.http.put('/fhir/Group/cohort').set('Content-Type', FHIR).send({ resourceType: 'Group', id: 'cohort', type: 'person', actual: true, member: cohort.map((id) => ({ entity: { reference: `Patient/${id}` } })) });
    const group = await download(await finish(await kickOff('/fhir/Group/cohort/$export?_type=Patient,Condition,Observation')));
    expect(group.get('Patient')!.map((p) => p.id).sort()).toEqual([...cohort].sort());
    for (const type of ['Condition', 'Observation']) expect([type, group.get(type)?.length ?? 0]).toEqual([type, inCompartments(cohort, type)]);
  });

  it('refuses bad input at kick-off with 400 naming the parameter', async () => {
    for (const [query, name] of [
      ['_type=Nonsense', '_type'],
      ['_typeFilter=Observation%3Fnonsense%3D1', 'nonsense'],
      ['_typeFilter=NotAType%3Fa%3Db', '_typeFilter'],
      ['_typeFilter=Patient%3Fname%3Dx&_type=Observation', '_typeFilter'],
      ['_outputFormat=text%2Fcsv', '_outputFormat'],
      ['_since=yesterday', '_since'],
    ]) {
      const res = await t.http.get(`/fhir/$export?${query}`).set('Prefer', 'respond-async');
      expect([query, res.status, res.body.issue?.[0]?.diagnostics]).toEqual([query, 400, expect.stringContaining(name)]);
    }
    expect((await t.http.get('/fhir/$export')).status).toBe(400); // not asynchronous
    expect((await t.http.get('/fhir/Group/$export').set('Prefer', 'respond-async')).status).toBe(400);
    expect((await t.http.get('/fhir/Group/nobody/$export').set('Prefer', 'respond-async')).status).toBe(404);
    expect((await t.http.get('/fhir/Patient/$export?_type=Practitioner').set('Prefer', 'respond-async')).status).toBe(400);
    expect((await t.http.get('/fhir/_export/nojob/Patient-1.ndjson')).status).toBe(404);
  });

  it('DELETE removes a finished export and its files', async () => {
    const status = await kickOff('/fhir/$export?_type=Observation');
    const manifest = await finish(status);
    const jobId = status.split('/').pop()!;
    expect(manifest.output.length).toBeGreaterThan(0);
    expect(await storedFiles(t, jobId)).toBeGreaterThan(0);
    expect((await t.http.delete(status)).status).toBe(202);
    expect((await t.http.get(status)).status).toBe(404);
    expect((await t.http.get(local(manifest.output[0].url))).status).toBe(404);
    expect(await storedFiles(t, jobId)).toBe(0);
  });
});

describeEachEngine('$export file expiry', (factory) => {
  it('serves files until NIMBUS_EXPORT_RETENTION has passed, then removes them', async () => {
    const t = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_JOB_POLL_INTERVAL: '50ms', NIMBUS_EXPORT_RETENTION: '2s' } });
    try {
      await store(t.server, data.patients[0].slice(0, 1));
      const kick = await t.http.get('/fhir/$export?_type=Patient').set('Prefer', 'respond-async');
      const status = kick.headers['content-location'].replace(/^https?:\/\/[^/]+/, '');
      let poll = await t.http.get(status);
      while (poll.status === 202) poll = await t.http.get(status);
      const url = (poll.body as Manifest).output[0].url.replace(/^https?:\/\/[^/]+/, '');
      expect((await t.http.get(url)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await t.http.get(url)).status).toBe(404);
      await t.server.engine.files.sweep(new Date());
      expect(await storedFiles(t, status.split('/').pop()!)).toBe(0);
    } finally {
      await t.close();
    }
  });
});
