// The instance interactions through real HTTP: create, read, vread, update, delete and their
// headers, success and failure (R4 http.html).
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const FHIR = 'application/fhir+json';
const patient = { resourceType: 'Patient', name: [{ family: 'Chalmers', given: ['Peter'] }], gender: 'male', birthDate: '1974-12-25' };
const START = '2025-03-01T10:00:00.000Z';

export const crudContract: ContractSuite = {
  id: 'crud',
  title: 'REST instance interactions',
  define({ target, it }) {
    let t: ContractServer;
    let p1 = '';
    let p1Modified = '';
    beforeAll(async () => {
      t = await target.start({ fixedClock: START });
    });
    afterAll(() => t.close());

    describe('create', () => {
      it('assigns id, versionId and lastUpdated, ignoring the client values', async () => {
        const res = await t.http
          .post('/fhir/Patient')
          .set('Content-Type', FHIR)
          .send(JSON.stringify({ ...patient, id: 'mine', meta: { versionId: '99', lastUpdated: '2001-01-01T00:00:00Z', tag: [{ code: 'keep' }] } }));
        expect(res.status).toBe(201);
        p1 = res.body.id;
        expect(p1).not.toBe('mine');
        expect(p1).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
        const lastUpdated: string = res.body.meta.lastUpdated;
        expect(res.body.meta).toEqual({ versionId: '1', lastUpdated, tag: [{ code: 'keep' }] });
        if (t.exactClock) expect(lastUpdated).toBe(START);
        else expect(Date.parse(lastUpdated)).toBeGreaterThan(Date.parse('2020-01-01T00:00:00Z'));
        expect(res.headers.etag).toBe('W/"1"');
        // Last-Modified is lastUpdated at HTTP-date (second) precision.
        p1Modified = new Date(lastUpdated).toUTCString();
        expect(res.headers['last-modified']).toBe(p1Modified);
        expect(res.headers.location).toMatch(new RegExp(`/fhir/Patient/${p1}/_history/1$`));
        expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
      });

      it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
        const minimal = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).set('Prefer', 'return=minimal').send(JSON.stringify(patient));
        expect(minimal.status).toBe(201);
        expect(minimal.text).toBe('');
        expect(minimal.headers.location).toBeDefined();
        const oo = await t.http.post('/fhir/Patient').set('Content-Type', FHIR).set('Prefer', 'return=OperationOutcome').send(JSON.stringify(patient));
        expect(oo.status).toBe(201);
        expect(oo.body.resourceType).toBe('OperationOutcome');
        expect(oo.body.issue[0].severity).toBe('information');
      });

      it('accepts application/json as body and answers in it when asked', async () => {
        const res = await t.http.post('/fhir/Patient').set('Content-Type', 'application/json').set('Accept', 'application/json').send(JSON.stringify(patient));
        expect(res.status).toBe(201);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      });
    });

    describe('read and vread', () => {
      it('reads the current version with ETag and Last-Modified', async () => {
        const res = await t.http.get(`/fhir/Patient/${p1}`);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ resourceType: 'Patient', id: p1, birthDate: '1974-12-25' });
        expect(res.headers.etag).toBe('W/"1"');
        expect(res.headers['last-modified']).toBe(p1Modified);
      });

      it('answers 304 to If-None-Match with the current ETag and 200 otherwise', async () => {
        expect((await t.http.get(`/fhir/Patient/${p1}`).set('If-None-Match', 'W/"1"')).status).toBe(304);
        expect((await t.http.get(`/fhir/Patient/${p1}`).set('If-None-Match', 'W/"7"')).status).toBe(200);
      });

      it('answers 304 to If-Modified-Since at or after lastUpdated', async () => {
        if (t.exactClock) expect(p1Modified).toBe('Sat, 01 Mar 2025 10:00:00 GMT');
        const secondBefore = new Date(Date.parse(p1Modified) - 1000).toUTCString();
        expect((await t.http.get(`/fhir/Patient/${p1}`).set('If-Modified-Since', p1Modified)).status).toBe(304);
        expect((await t.http.get(`/fhir/Patient/${p1}`).set('If-Modified-Since', secondBefore)).status).toBe(200);
      });

      it('404 for an unknown id, 404 not-supported for an unknown type, 400 for a malformed id', async () => {
        const missing = await t.http.get('/fhir/Patient/nope');
        expect(missing.status).toBe(404);
        expect(missing.body.issue[0].code).toBe('not-found');
        const type = await t.http.get('/fhir/Spaceship/1');
        expect(type.status).toBe(404);
        expect(type.body.issue[0].code).toBe('not-supported');
        const bad = await t.http.get(`/fhir/Patient/${'x'.repeat(65)}`);
        expect(bad.status).toBe(400);
      });

      it('vreads a version, 404 for an unknown version', async () => {
        expect((await t.http.get(`/fhir/Patient/${p1}/_history/1`)).body.meta.versionId).toBe('1');
        expect((await t.http.get(`/fhir/Patient/${p1}/_history/9`)).status).toBe(404);
        expect((await t.http.get(`/fhir/Patient/${p1}/_history/abc`)).status).toBe(404);
      });

      it('applies _summary and _elements and marks the result SUBSETTED', async () => {
        await t.http
          .put('/fhir/Patient/sum')
          .set('Content-Type', FHIR)
          .send(JSON.stringify({ ...patient, id: 'sum', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Peter</div>' }, maritalStatus: { text: 'M' } }));
        const summary = await t.http.get('/fhir/Patient/sum?_summary=true');
        expect(summary.body.name).toBeDefined();
        expect(summary.body.maritalStatus).toBeUndefined();
        expect(summary.body.text).toBeUndefined();
        expect(summary.body.meta.tag).toContainEqual(expect.objectContaining({ code: 'SUBSETTED' }));
        const text = await t.http.get('/fhir/Patient/sum?_summary=text');
        expect(text.body.text).toBeDefined();
        expect(text.body.name).toBeUndefined();
        const data = await t.http.get('/fhir/Patient/sum?_summary=data');
        expect(data.body.text).toBeUndefined();
        expect(data.body.maritalStatus).toBeDefined();
        const elements = await t.http.get('/fhir/Patient/sum?_elements=birthDate');
        expect(Object.keys(elements.body).sort()).toEqual(['birthDate', 'id', 'meta', 'resourceType']);
        expect((await t.http.get('/fhir/Patient/sum?_summary=maybe')).status).toBe(400);
      });

      it('pretty-prints with _pretty=true', async () => {
        const res = await t.http.get(`/fhir/Patient/${p1}?_pretty=true`);
        expect(res.text).toContain('\n  "resourceType"');
      });
    });

    describe('update', () => {
      it('creates with a client id (201) then updates (200), advancing the version', async () => {
        await t.advance(1000);
        const created = await t.http.put('/fhir/Patient/u1').set('Content-Type', FHIR).send(JSON.stringify({ ...patient, id: 'u1' }));
        expect(created.status).toBe(201);
        expect(created.body.meta.versionId).toBe('1');
        await t.advance(1000);
        const updated = await t.http.put('/fhir/Patient/u1').set('Content-Type', FHIR).send(JSON.stringify({ ...patient, id: 'u1', gender: 'other' }));
        expect(updated.status).toBe(200);
        expect(updated.body.meta.versionId).toBe('2');
        expect(Date.parse(updated.body.meta.lastUpdated)).toBeGreaterThan(Date.parse(created.body.meta.lastUpdated));
        expect(updated.headers.etag).toBe('W/"2"');
        expect(updated.headers.location).toMatch(/Patient\/u1\/_history\/2$/);
        expect((await t.http.get('/fhir/Patient/u1/_history/1')).body.gender).toBe('male');
      });

      it('If-Match: matching version updates, mismatching version is 412', async () => {
        const ok = await t.http.put('/fhir/Patient/u1').set('Content-Type', FHIR).set('If-Match', 'W/"2"').send(JSON.stringify({ ...patient, id: 'u1' }));
        expect(ok.status).toBe(200);
        const stale = await t.http.put('/fhir/Patient/u1').set('Content-Type', FHIR).set('If-Match', 'W/"2"').send(JSON.stringify({ ...patient, id: 'u1' }));
        expect(stale.status).toBe(412);
        expect(stale.body.resourceType).toBe('OperationOutcome');
        expect((await t.http.get('/fhir/Patient/u1')).body.meta.versionId).toBe('3');
      });

      it('400 when the body id is missing or differs from the URL id', async () => {
        const none = await t.http.put('/fhir/Patient/u1').set('Content-Type', FHIR).send(JSON.stringify(patient));
        expect(none.status).toBe(400);
        const other = await t.http.put('/fhir/Patient/u1').set('Content-Type', FHIR).send(JSON.stringify({ ...patient, id: 'u2' }));
        expect(other.status).toBe(400);
        expect(other.body.issue[0].diagnostics).toContain("'u2'");
      });
    });

    describe('delete', () => {
      it('deletes logically: read is 410 Gone, history keeps the versions, re-create continues the versions', async () => {
        await t.http.put('/fhir/Patient/d1').set('Content-Type', FHIR).send(JSON.stringify({ ...patient, id: 'd1' }));
        const del = await t.http.delete('/fhir/Patient/d1');
        expect(del.status).toBe(204);
        expect(del.headers.etag).toBe('W/"2"');
        const gone = await t.http.get('/fhir/Patient/d1');
        expect(gone.status).toBe(410);
        expect(gone.body.issue[0].code).toBe('deleted');
        expect((await t.http.get('/fhir/Patient/d1/_history/1')).status).toBe(200);
        expect((await t.http.get('/fhir/Patient/d1/_history/2')).status).toBe(410);
        const again = await t.http.put('/fhir/Patient/d1').set('Content-Type', FHIR).send(JSON.stringify({ ...patient, id: 'd1' }));
        expect(again.status).toBe(201);
        expect(again.body.meta.versionId).toBe('3');
      });

      it('deleting a missing or already deleted resource succeeds with no effect (204)', async () => {
        expect((await t.http.delete('/fhir/Patient/never')).status).toBe(204);
        await t.http.delete('/fhir/Patient/d1');
        const twice = await t.http.delete('/fhir/Patient/d1');
        expect(twice.status).toBe(204);
        const history = await t.http.get('/fhir/Patient/d1/_history');
        expect(history.body.total).toBe(4);
      });

      it('If-Match on delete: 412 on a stale version', async () => {
        await t.http.put('/fhir/Patient/d2').set('Content-Type', FHIR).send(JSON.stringify({ ...patient, id: 'd2' }));
        expect((await t.http.delete('/fhir/Patient/d2').set('If-Match', 'W/"5"')).status).toBe(412);
        expect((await t.http.delete('/fhir/Patient/d2').set('If-Match', 'W/"1"')).status).toBe(204);
      });
    });
  },
};
