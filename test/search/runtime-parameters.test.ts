// SearchParameters added at run time, on every engine: refused when the expression does not
// compile; searchable at once for new writes; existing resources indexed by a background $reindex
// job, with a warning outcome entry in search Bundles until that job is done; seen by a second
// server over the same database; retired and deleted parameters stop being searchable.
import type { DatabaseJobService } from '../../src/operations/job-service';
import { describeEachEngine } from '../support/engines';
import { type TestServer } from '../support/server';
import { makeServerPair, type ServerPair } from '../support/server-pair';

const FHIR = 'application/fhir+json';
const EYE = 'http://example.org/fhir/StructureDefinition/eye-colour';
const eyeParam = {
  resourceType: 'SearchParameter',
  id: 'patient-eye-colour',
  url: 'http://example.org/fhir/SearchParameter/patient-eye-colour',
  name: 'EyeColour',
  status: 'active',
  description: 'Eye colour recorded in an extension',
  code: 'eye-colour',
  base: ['Patient'],
  type: 'token',
  expression: `Patient.extension.where(url='${EYE}').value`,
};
const patient = (id: string, colour: string) => ({ resourceType: 'Patient', id, extension: [{ url: EYE, valueCode: colour }] });
type Entry = { resource: { resourceType: string; id: string; issue?: Array<{ severity: string; diagnostics: string }> }; search: { mode: string } };

describeEachEngine('SearchParameters added at run time', (factory) => {
  let pair: ServerPair;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    pair = await makeServerPair(factory);
    ({ a, b } = pair);
  });
  afterAll(() => pair.close());
  const put = (t: TestServer, r: { resourceType: string; id: string }) => t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(JSON.stringify(r));
  const ids = (entries: Entry[] | undefined) => (entries ?? []).filter((e) => e.search.mode === 'match').map((e) => e.resource.id).sort();
  const warnings = (entries: Entry[] | undefined) => (entries ?? []).filter((e) => e.search.mode === 'outcome').flatMap((e) => e.resource.issue ?? []);

  it('refuses a SearchParameter whose expression does not compile, or that cannot be indexed', async () => {
    const broken = await a.http.post('/fhir/SearchParameter').set('Content-Type', FHIR).send({ ...eyeParam, id: undefined, expression: 'Patient.extension.where(url=' });
    expect([broken.status, broken.body.resourceType, broken.body.issue[0].diagnostics]).toEqual([400, 'OperationOutcome', expect.stringContaining('does not compile')]);
    const wrongBase = await a.http.post('/fhir/SearchParameter').set('Content-Type', FHIR).send({ ...eyeParam, id: undefined, expression: 'Observation.status' });
    expect([wrongBase.status, wrongBase.body.issue[0].diagnostics]).toEqual([400, expect.stringContaining('Patient')]);
    expect((await a.http.get('/fhir/Patient?eye-colour=blue')).status).toBe(400);
  });

  it('is searchable at once for new writes, and for older ones once its reindex job is done', async () => {
    for (const p of [patient('old-blue', 'blue'), patient('old-brown', 'brown')]) expect((await put(a, p)).status).toBe(201);
    // Hold the job runners (both servers'), so the reindex job is still pending when we search.
    const jobs = a.server.services.jobs as DatabaseJobService;
    const jobsB = b.server.services.jobs as DatabaseJobService;
    await jobs.stop();
    await jobsB.stop();
    const created = await put(a, eyeParam);
    expect(created.status).toBe(201);
    expect((await put(a, patient('new-blue', 'blue'))).status).toBe(201);
    const early = await a.http.get('/fhir/Patient?eye-colour=blue');
    expect(early.status).toBe(200);
    expect(ids(early.body.entry)).toEqual(['new-blue']);
    expect(warnings(early.body.entry)).toEqual([expect.objectContaining({ severity: 'warning', diagnostics: expect.stringContaining('eye-colour') })]);

    // The second server (another process) knows the parameter once its copy is checked (at most
    // the shared-cache interval, 2 s, after the change; a search naming it checks at once), and
    // then indexes its writes with it.
    await b.server.services.search.runtimeParameters!.refresh();
    expect((await put(b, patient('b-blue', 'blue'))).status).toBe(201);
    expect(ids((await b.http.get('/fhir/Patient?eye-colour=blue')).body.entry)).toEqual(['b-blue', 'new-blue']);

    jobs.start();
    jobsB.start();
    let done = await a.http.get('/fhir/Patient?eye-colour=blue');
    for (let i = 0; i < 400 && warnings(done.body.entry).length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await a.http.get('/fhir/Patient?eye-colour=blue');
    }
    expect(warnings(done.body.entry)).toEqual([]);
    expect(ids(done.body.entry)).toEqual(['b-blue', 'new-blue', 'old-blue']);
    expect(ids((await a.http.get('/fhir/Patient?eye-colour=brown')).body.entry)).toEqual(['old-brown']);
  });

  it('a changed expression applies to new writes at once and to older ones after its reindex', async () => {
    const HAIR = 'http://example.org/fhir/StructureDefinition/hair-colour';
    expect((await put(a, { resourceType: 'Patient', id: 'hair-old', extension: [{ url: HAIR, valueCode: 'blue' }] } as never)).status).toBe(201);
    expect((await put(a, { ...eyeParam, expression: `Patient.extension.where(url='${HAIR}').value` })).status).toBe(200);
    expect((await put(a, { resourceType: 'Patient', id: 'hair-new', extension: [{ url: HAIR, valueCode: 'blue' }] } as never)).status).toBe(201);
    let res = await a.http.get('/fhir/Patient?eye-colour=blue');
    for (let i = 0; i < 400 && warnings(res.body.entry).length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      res = await a.http.get('/fhir/Patient?eye-colour=blue');
    }
    expect(ids(res.body.entry)).toEqual(['hair-new', 'hair-old']);
    expect((await put(a, eyeParam)).status).toBe(200);
  });

  it('stops being searchable when retired or deleted, in every process', async () => {
    expect((await put(a, { ...eyeParam, status: 'retired' })).status).toBe(200);
    const retired = await a.http.get('/fhir/Patient?eye-colour=blue');
    expect([retired.status, retired.body.issue[0].diagnostics]).toEqual([400, expect.stringContaining('eye-colour')]);
    expect((await put(a, eyeParam)).status).toBe(200);
    expect((await b.http.get('/fhir/Patient?eye-colour=blue')).status).toBe(200);
    expect((await a.http.delete(`/fhir/SearchParameter/${eyeParam.id}`)).status).toBe(204);
    await b.server.services.search.runtimeParameters!.refresh();
    expect((await b.http.get('/fhir/Patient?eye-colour=blue')).status).toBe(400);
  });
});
