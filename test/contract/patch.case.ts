// PATCH over HTTP: JSON Patch and FHIRPath Patch, If-Match, validation of the result, and a
// failing patch leaving the stored resource untouched. Batch entries carry patches too. Each case
// patches a Patient of its own (one server for the suite).
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const FHIR_JSON = 'application/fhir+json';

const JSON_PATCH = 'application/json-patch+json';

export const patchContract: ContractSuite = {
  id: 'patch',
  title: 'PATCH',
  define({ target, it }) {
    let s: ContractServer;
    let p = '';
    let n = 0;
    beforeAll(async () => {
      s = await target.start();
    });
    beforeEach(async () => {
      p = `p${++n}`;
      const res = await s.http
        .put(`/fhir/Patient/${p}`)
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify({ resourceType: 'Patient', id: p, active: true, name: [{ family: 'Kowalski', given: ['Anna', 'Maria'] }], birthDate: '1980-02-03' }));
      expect(res.status).toBe(201);
    });
    afterAll(() => s.close());

    const patchJson = (ops: unknown, ifMatch?: string) => {
      const req = s.http.patch(`/fhir/Patient/${p}`).set('Content-Type', JSON_PATCH);
      if (ifMatch) req.set('If-Match', ifMatch);
      return req.send(JSON.stringify(ops));
    };
    const operation = (parts: Array<Record<string, unknown>>) => ({ name: 'operation', part: parts });
    const patchFhirPath = (...ops: unknown[]) =>
      s.http.patch(`/fhir/Patient/${p}`).set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Parameters', parameter: ops }));

    it('applies JSON Patch and writes a new version', async () => {
      const res = await patchJson([
        { op: 'test', path: '/active', value: true },
        { op: 'replace', path: '/active', value: false },
        { op: 'add', path: '/name/0/given/-', value: 'Zofia' },
        { op: 'remove', path: '/birthDate' },
      ]);
      expect(res.status).toBe(200);
      expect(res.headers.etag).toBe('W/"2"');
      expect(res.body).toMatchObject({ active: false, name: [{ given: ['Anna', 'Maria', 'Zofia'] }] });
      expect(res.body.birthDate).toBeUndefined();
    });

    it('honours If-Match: a stale version is 412 and changes nothing', async () => {
      expect((await patchJson([{ op: 'replace', path: '/active', value: false }], 'W/"7"')).status).toBe(412);
      expect((await patchJson([{ op: 'replace', path: '/active', value: false }], 'W/"1"')).status).toBe(200);
    });

    it('leaves the resource untouched when the patch fails, is malformed or makes it invalid', async () => {
      const cases: Array<[unknown, number]> = [
        [[{ op: 'test', path: '/active', value: false }, { op: 'replace', path: '/active', value: false }], 422],
        [[{ op: 'replace', path: '/nothing/here', value: 1 }], 422],
        [[{ op: 'jump', path: '/active' }], 400],
        [{ op: 'replace' }, 400],
        [[{ op: 'add', path: '/__proto__/x', value: 1 }], 400],
        [[{ op: 'replace', path: '/birthDate', value: 'yesterday' }], 400],
        [[{ op: 'replace', path: '/id', value: 'q' }], 400],
      ];
      for (const [ops, status] of cases) {
        const res = await patchJson(ops);
        expect(res.status).toBe(status);
        expect(res.body.resourceType).toBe('OperationOutcome');
      }
      const after = (await s.http.get(`/fhir/Patient/${p}`)).body;
      expect(after.meta.versionId).toBe('1');
      expect(after.active).toBe(true);
    });

    it('applies FHIRPath Patch: add, insert, replace, delete, move', async () => {
      const res = await patchFhirPath(
        operation([{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.active' }, { name: 'value', valueBoolean: false }]),
        operation([{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'gender' }, { name: 'value', valueCode: 'female' }]),
        operation([{ name: 'type', valueCode: 'insert' }, { name: 'path', valueString: 'Patient.name[0].given' }, { name: 'index', valueInteger: 0 }, { name: 'value', valueString: 'Ewa' }]),
        operation([{ name: 'type', valueCode: 'move' }, { name: 'path', valueString: 'Patient.name[0].given' }, { name: 'source', valueInteger: 2 }, { name: 'destination', valueInteger: 0 }]),
        operation([{ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.birthDate' }]),
        operation([
          { name: 'type', valueCode: 'add' },
          { name: 'path', valueString: 'Patient' },
          { name: 'name', valueString: 'contact' },
          { name: 'value', part: [{ name: 'name', valueHumanName: { family: 'Nowak' } }] },
        ]),
      );
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(false);
      expect(res.body.gender).toBe('female');
      expect(res.body.name[0].given).toEqual(['Maria', 'Ewa', 'Anna']);
      expect(res.body.birthDate).toBeUndefined();
      expect(res.body.contact).toEqual([{ name: { family: 'Nowak' } }]);
    });

    it('refuses a FHIRPath Patch whose path matches several elements (422), leaving the resource', async () => {
      const res = await patchFhirPath(operation([{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.name.given' }, { name: 'value', valueString: 'X' }]));
      expect(res.status).toBe(422);
      expect((await s.http.get(`/fhir/Patient/${p}`)).body.meta.versionId).toBe('1');
    });

    it('404 on a missing resource, 415 on another media type', async () => {
      expect((await s.http.patch('/fhir/Patient/nobody').set('Content-Type', JSON_PATCH).send('[]')).status).toBe(404);
      expect((await s.http.patch(`/fhir/Patient/${p}`).set('Content-Type', 'text/plain').send('x')).status).toBe(415);
    });

    it('patches inside a batch (Binary JSON Patch) with independent entry outcomes', async () => {
      const binary = (ops: unknown) => ({ resourceType: 'Binary', contentType: JSON_PATCH, data: Buffer.from(JSON.stringify(ops)).toString('base64') });
      const res = await s.http
        .post('/fhir')
        .set('Content-Type', FHIR_JSON)
        .send(
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'batch',
            entry: [
              { resource: binary([{ op: 'replace', path: '/active', value: false }]), request: { method: 'PATCH', url: `Patient/${p}` } },
              { resource: binary([{ op: 'replace', path: '/active', value: false }]), request: { method: 'PATCH', url: 'Patient/missing' } },
              { fullUrl: 'urn:uuid:1', resource: { resourceType: 'Patient', gender: 'robot' }, request: { method: 'POST', url: 'Patient' } },
              { fullUrl: 'urn:uuid:2', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
            ],
          }),
        );
      expect(res.status).toBe(200);
      expect(res.body.type).toBe('batch-response');
      expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['200 OK', '404 Not Found', '400 Bad Request', '201 Created']);
      expect(res.body.entry[2].response.outcome.resourceType).toBe('OperationOutcome');
      expect((await s.http.get(`/fhir/Patient/${p}`)).body.active).toBe(false);
    });
  },
};
