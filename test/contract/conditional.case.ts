// Conditional create/update/delete/patch over HTTP with the real search module matching criteria
// inside the write (R4 http.html#ccreate, #cond-update, #cdelete, #patch). Each case uses its own
// identifier values, so cases share one server (and processes behind a proxy share one database).
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const FHIR_JSON = 'application/fhir+json';
const patient = (value: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'http://example.org/mrn', value }],
  ...extra,
});

async function countMatches(s: ContractServer, criteria: string): Promise<number> {
  const res = await s.http.post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Patient?${criteria}&_total=accurate` } }] }));
  return res.body.entry[0].resource.total;
}

export const conditionalContract: ContractSuite = {
  id: 'conditional',
  title: 'conditional interactions',
  define({ target, it }) {
    let s: ContractServer;
    beforeAll(async () => {
      s = await target.start({ env: { NIMBUS_ALLOW_MULTIPLE_DELETE: 'false' } });
    });
    afterAll(() => s.close());

    const create = (body: unknown, criteria?: string) => {
      const req = s.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON);
      if (criteria) req.set('If-None-Exist', criteria);
      return req.send(JSON.stringify(body));
    };

    it('50 concurrent conditional creates with the same criteria create exactly one resource', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => create(patient('race-1'), 'identifier=http://example.org/mrn|race-1')));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((x) => x === 201)).toHaveLength(1);
      expect(statuses.filter((x) => x === 200)).toHaveLength(49);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(await countMatches(s, 'identifier=http://example.org/mrn|race-1')).toBe(1);
    });

    it('conditional create: several matches → 412; unknown criteria → 400', async () => {
      await create(patient('dup'));
      await create(patient('dup'));
      expect((await create(patient('dup'), 'identifier=http://example.org/mrn|dup')).status).toBe(412);
      const bad = await create(patient('x'), 'colour=blue');
      expect(bad.status).toBe(400);
      expect(bad.body.resourceType).toBe('OperationOutcome');
    });

    it('conditional update: no match creates, one match updates it, several → 412', async () => {
      const put = (body: unknown, criteria: string) => s.http.put(`/fhir/Patient?${criteria}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
      const created = await put(patient('u1', { active: true }), 'identifier=http://example.org/mrn|u1');
      expect(created.status).toBe(201);
      const updated = await put(patient('u1', { active: false }), 'identifier=http://example.org/mrn|u1');
      expect(updated.status).toBe(200);
      expect(updated.body.id).toBe(created.body.id);
      expect(updated.body.meta.versionId).toBe('2');
      await create(patient('u2'));
      await create(patient('u2'));
      expect((await put(patient('u2'), 'identifier=http://example.org/mrn|u2')).status).toBe(412);
      // An id in the body that is not the match's id is refused.
      expect((await put({ ...patient('u1'), id: 'other' }, 'identifier=http://example.org/mrn|u1')).status).toBe(400);
    });

    it('conditional delete: one match is deleted; several → 412 when multiple deletes are off', async () => {
      const one = await create(patient('d1'));
      const del = await s.http.delete('/fhir/Patient?identifier=http://example.org/mrn|d1');
      expect(del.status).toBe(204);
      expect((await s.http.get(`/fhir/Patient/${one.body.id}`)).status).toBe(410);
      expect((await s.http.delete('/fhir/Patient?identifier=http://example.org/mrn|none')).status).toBe(204);
      await create(patient('d2'));
      await create(patient('d2'));
      expect((await s.http.delete('/fhir/Patient?identifier=http://example.org/mrn|d2')).status).toBe(412);
      expect(await countMatches(s, 'identifier=http://example.org/mrn|d2')).toBe(2);
    });

    it('conditional delete of several matches when the server allows it', async () => {
      const multi = await target.start({ env: { NIMBUS_ALLOW_MULTIPLE_DELETE: 'true' } });
      try {
        for (let i = 0; i < 3; i++) await multi.http.post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient('m')));
        expect((await multi.http.delete('/fhir/Patient?identifier=http://example.org/mrn|m')).status).toBe(204);
        expect(await countMatches(multi, 'identifier=http://example.org/mrn|m')).toBe(0);
      } finally {
        await multi.close();
      }
    });

    it('conditional patch patches the one match', async () => {
      const one = await create(patient('p1', { active: true }));
      const res = await s.http
        .patch('/fhir/Patient?identifier=http://example.org/mrn|p1')
        .set('Content-Type', 'application/json-patch+json')
        .send(JSON.stringify([{ op: 'replace', path: '/active', value: false }]));
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(one.body.id);
      expect(res.body.active).toBe(false);
      expect((await s.http.patch('/fhir/Patient?identifier=http://example.org/mrn|zzz').set('Content-Type', 'application/json-patch+json').send('[]')).status).toBe(404);
    });

    it('transactions resolve ifNoneExist, conditional PUT and conditional references inside the transaction', async () => {
      const existing = await create(patient('t1'));
      const res = await s.http
        .post('/fhir')
        .set('Content-Type', FHIR_JSON)
        .send(
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              { fullUrl: 'urn:uuid:p', resource: patient('t1'), request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=http://example.org/mrn|t1' } },
              { fullUrl: 'urn:uuid:o', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:p' }, performer: [{ reference: 'Patient?identifier=http://example.org/mrn|t1' }] }, request: { method: 'POST', url: 'Observation' } },
              { resource: patient('t2', { active: true }), request: { method: 'PUT', url: 'Patient?identifier=http://example.org/mrn|t2' } },
            ],
          }),
        );
      expect(res.status).toBe(200);
      expect(res.body.entry[0].response.status).toBe('200 OK');
      const obs = await s.http.get(new URL(res.body.entry[1].response.location).pathname.replace(/\/_history\/\d+$/, ''));
      expect(obs.body.subject.reference).toBe(`Patient/${existing.body.id}`);
      expect(obs.body.performer[0].reference).toBe(`Patient/${existing.body.id}`);
      expect(res.body.entry[2].response.status).toBe('201 Created');
      // A conditional reference that matches nothing fails the transaction.
      const failed = await s.http
        .post('/fhir')
        .set('Content-Type', FHIR_JSON)
        .send(JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:o', resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient?identifier=http://example.org/mrn|nobody' } }, request: { method: 'POST', url: 'Observation' } }] }));
      expect(failed.status).toBe(412);
      expect(failed.body.issue[0].diagnostics).toMatch(/Bundle\.entry\[0\].*matches no Patient/);
    });
  },
};
