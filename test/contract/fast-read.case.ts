// The read-by-id fast path ahead of Express (src/rest/fast-read.ts): it must answer exactly what
// the Express read route answers, and hand everything but the plain case to Express.
import type { RequestListener } from 'node:http';
import pino from 'pino';
import supertest from 'supertest';
import { withFastRead } from '../../src/rest/fast-read';
import { ANONYMOUS } from '../../src/access/caller';
import { createMetrics } from '../../src/rest/ops-routes';
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

export const fastReadContract: ContractSuite = {
  id: 'fast-read',
  title: 'read by id fast path',
  define({ target, it }) {
    let t: ContractServer;
    let id: string;
    let goneId: string;
    beforeAll(async () => {
      t = await target.start();
      const created = await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', name: [{ family: 'Zoë 患者' }] });
      id = created.body.id;
      goneId = (await t.http.post('/fhir/Patient').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient' })).body.id;
      expect((await t.http.delete(`/fhir/Patient/${goneId}`)).status).toBe(204);
    });
    afterAll(() => t.close());

    const HEADERS = ['content-type', 'content-length', 'etag', 'last-modified'];

    it('answers a plain read byte for byte like the Express route', async () => {
      const fast = await t.http.get(`/fhir/Patient/${id}`).buffer(true).parse((res, cb) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => cb(null, text));
      });
      // A query string sends the same read through Express.
      const viaExpress = await t.http.get(`/fhir/Patient/${id}?_format=application/fhir%2Bjson`).buffer(true).parse((res, cb) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => cb(null, text));
      });
      expect(fast.status).toBe(200);
      expect(viaExpress.status).toBe(200);
      for (const h of HEADERS) expect([h, fast.headers[h]]).toEqual([h, viaExpress.headers[h]]);
      expect(fast.body).toBe(viaExpress.body);
      expect(JSON.parse(fast.body as string).name[0].family).toBe('Zoë 患者');
    });

    // In process only (skips.ts): the request listener is wrapped to see what reaches Express.
    describe('hands everything else to Express', () => {
      let fallbacks: string[];
      let listener: RequestListener;
      beforeAll(() => {
        if (!t.server) return;
        const express = t.server.app;
        listener = withFastRead(
          (req, res) => {
            fallbacks.push(`${req.method} ${req.url}`);
            express(req, res);
          },
          t.server.services,
          () => ANONYMOUS,
          createMetrics(),
          pino({ level: 'silent' }),
        );
      });
      beforeEach(() => (fallbacks = []));

      it('hands everything else to Express: the plain read it serves itself', async () => {
        const res = await supertest(listener).get(`/fhir/Patient/${id}`).set('Accept', 'application/json');
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.headers.etag).toBe('W/"1"');
        expect(fallbacks).toEqual([]);
      });

      const cases: Array<[string, (h: supertest.Agent) => supertest.Test, number]> = [
        ['a query string', (h: supertest.Agent) => h.get(`/fhir/Patient/${id}?_summary=true`), 200],
        ['a conditional read', (h: supertest.Agent) => h.get(`/fhir/Patient/${id}`).set('If-None-Match', 'W/"1"'), 304],
        ['an unknown id', (h: supertest.Agent) => h.get('/fhir/Patient/no-such-patient'), 404],
        ['a deleted resource', (h: supertest.Agent) => h.get(`/fhir/Patient/${goneId}`), 410],
        ['an unacceptable media type', (h: supertest.Agent) => h.get(`/fhir/Patient/${id}`).set('Accept', 'application/fhir+xml'), 406],
        ['an unknown type', (h: supertest.Agent) => h.get(`/fhir/Patientt/${id}`), 404],
        ['an id FHIR does not allow', (h: supertest.Agent) => h.get('/fhir/Patient/a_b'), 400],
        ['HEAD', (h: supertest.Agent) => h.head(`/fhir/Patient/${id}`), 200],
      ];
      for (const [what, send, status] of cases) {
        it(`hands everything else to Express: ${what}`, async () => {
          const res = await send(supertest.agent(listener));
          expect(res.status).toBe(status);
          expect(fallbacks).toHaveLength(1);
        });
      }
    });
  },
};
