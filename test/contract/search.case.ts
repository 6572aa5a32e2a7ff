// Search over HTTP: the request forms, searchset Bundles, links, strict/lenient handling, and that
// no client input produces a 5xx.
import type { Bundle } from '@medplum/fhirtypes';
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const BASE = 'http://fhir.example/fhir';

export const searchContract: ContractSuite = {
  id: 'search',
  title: 'search over HTTP',
  define({ target, it }) {
    let server: ContractServer;
    let http: ContractServer['http'];

    // The real server assembly (every feature mounted, as `npm start` runs it), loaded over HTTP.
    beforeAll(async () => {
      server = await target.start({ env: { NIMBUS_BASE_URL: BASE, NIMBUS_DEFAULT_COUNT: '2', NIMBUS_MAX_COUNT: '50' } });
      http = server.http;
      const patients = ['Ann', 'Bea', 'Cid', 'Dee', 'Eve'].map((family, i) => ({ resourceType: 'Patient', id: `p${i}`, name: [{ family }], gender: i % 2 ? 'male' : 'female' }));
      const obs = patients.map((p, i) => ({ resourceType: 'Observation', id: `o${i}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1234' }] }, subject: { reference: `Patient/${p.id}` } }));
      const entry = [...patients, ...obs].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
      const loaded = await http.post('/fhir').set('Content-Type', 'application/fhir+json').send(JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }));
      expect(loaded.status).toBe(200);
      expect(loaded.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(entry.map(() => '201 Created'));
    });
      afterAll(async () => server.close());

    const idsOf = (b: Bundle, mode = 'match') => (b.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => e.resource!.id!);
    const link = (b: Bundle, rel: string) => b.link?.find((l) => l.relation === rel)?.url;
    const relative = (url: string) => url.slice(BASE.length - '/fhir'.length);

    describe('requests', () => {
      it('GET [type] answers a searchset with total, match modes and a self link', async () => {
        const res = await http.get('/fhir/Patient?gender=female&_count=10').expect(200);
        expect(res.headers['content-type']).toContain('application/fhir+json');
        expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 3 });
        expect(idsOf(res.body)).toEqual(['p0', 'p2', 'p4']);
        expect(link(res.body, 'self')).toBe(`${BASE}/Patient?gender=female&_count=10`);
      });

      it('POST [type]/_search with a form body gives the same result', async () => {
        const get = await http.get('/fhir/Patient?gender=female&_count=10');
        const post = await http.post('/fhir/Patient/_search').type('form').send('gender=female&_count=10').expect(200);
        expect(idsOf(post.body)).toEqual(idsOf(get.body));
      });

      it('pages with next/previous links until all matches were seen exactly once', async () => {
        let res = await http.get('/fhir/Patient?_sort=family').expect(200);
        const seen: string[] = [];
        for (;;) {
          seen.push(...idsOf(res.body));
          const next = link(res.body, 'next');
          if (!next) break;
          res = await http.get(relative(next)).expect(200);
        }
        expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
        const prev = link(res.body, 'previous')!;
        expect(idsOf((await http.get(relative(prev)).expect(200)).body)).toEqual(['p2', 'p3']);
      });

      it('system search with _type and compartment search', async () => {
        const sys = await http.get('/fhir?_type=Patient,Observation&_id=p1,o1').expect(200);
        expect(idsOf(sys.body).sort()).toEqual(['o1', 'p1']);
        const comp = await http.get('/fhir/Patient/p3/Observation').expect(200);
        expect(idsOf(comp.body)).toEqual(['o3']);
        expect(link(comp.body, 'self')).toBe(`${BASE}/Patient/p3/Observation`);
        await http.get('/fhir/Patient/p3/Organization').expect(400);
      });

      it('_include adds include-mode entries; _summary=count only the total', async () => {
        const res = await http.get('/fhir/Observation?_id=o2&_include=Observation:subject').expect(200);
        expect(idsOf(res.body)).toEqual(['o2']);
        expect(idsOf(res.body, 'include')).toEqual(['p2']);
        const count = await http.get('/fhir/Observation?_summary=count').expect(200);
        expect(count.body.total).toBe(5);
        expect(count.body.entry).toBeUndefined();
      });

      it('_elements trims matches and marks them SUBSETTED', async () => {
        const res = await http.get('/fhir/Patient?_id=p1&_elements=gender').expect(200);
        const p = res.body.entry[0].resource;
        expect(p.gender).toBe('male');
        expect(p.name).toBeUndefined();
        expect(p.meta.tag).toEqual([expect.objectContaining({ code: 'SUBSETTED' })]);
      });

      it('strict by default: unknown parameters answer 400 naming them', async () => {
        const res = await http.get('/fhir/Patient?colour=blue&gender=female').expect(400);
        expect(res.body.resourceType).toBe('OperationOutcome');
        expect(res.body.issue[0].diagnostics).toContain('colour');
      });

      it('Prefer: handling=lenient ignores them, reports them, and leaves them out of the self link', async () => {
        const res = await http.get('/fhir/Patient?colour=blue&gender=female').set('Prefer', 'handling=lenient').expect(200);
        expect(idsOf(res.body)).toEqual(['p0', 'p2']);
        expect(link(res.body, 'self')).toBe(`${BASE}/Patient?gender=female`);
        const outcome = res.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
        expect(outcome.resource.issue[0].diagnostics).toContain('colour');
      });

      it('never answers 5xx to hostile input', async () => {
        const nasty = [
          '/fhir/Patient?_sort=',
          '/fhir/Patient?name:=x',
          '/fhir/Patient?_has=1',
          '/fhir/Patient?_has:Observation=x',
          '/fhir/Patient?_cursor=garbage',
          '/fhir/Patient?birthdate=ge',
          '/fhir/Patient?name=%00%FF',
          '/fhir/Observation?subject.name.foo.bar=x',
          '/fhir/Observation?code-value-quantity=$$$',
          '/fhir/Observation?value-quantity=1e400',
          '/fhir/Patient?_count=99999999999999999999',
          '/fhir/Patient?_include=*:*:*',
          '/fhir/Patient?name[$ne]=x',
          `/fhir/Patient?${'_has:Observation:subject:'.repeat(20)}code=1`,
        ];
        for (const url of nasty) {
          const res = await http.get(url);
          expect({ url, status: res.status < 500 }).toEqual({ url, status: true });
        }
        await http.post('/fhir/Patient/_search').set('Content-Type', 'application/json').send('{}').expect(415);
      });
    });

    describe('system search without parameters', () => {
      it('GET [base] pages through every resource', async () => {
        const res = await http.get('/fhir').expect(200);
        expect(res.body.type).toBe('searchset');
        expect(res.body.total).toBeGreaterThanOrEqual(10); // the 5 Patients and 5 Observations, plus conformance resources
        expect(link(res.body, 'next')).toBeDefined();
      });
    });

    describe('long OR lists', () => {
      it('POST _search with 1,500 reference values answers like the short list (IN-list, not an OR chain)', async () => {
        const many = ['Patient/p1', 'Patient/p3', ...Array.from({ length: 1500 }, (_, i) => `Patient/none${i}`)];
        const res = await http.post('/fhir/Observation/_search').type('form').send(`subject=${encodeURIComponent(many.join(','))}&_count=50`).expect(200);
        expect(idsOf(res.body).sort()).toEqual(['o1', 'o3']);
        const codes = ['http://loinc.org|1234', ...Array.from({ length: 1500 }, (_, i) => `http://loinc.org|x${i}`)];
        const byCode = await http.post('/fhir/Observation/_search').type('form').send(`code=${encodeURIComponent(codes.join(','))}&_count=50`).expect(200);
        expect(idsOf(byCode.body)).toHaveLength(5);
      });
    });
  },
};
