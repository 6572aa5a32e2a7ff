// History at instance, type and system level, with paging, _since, _at and _count
// (R4 http.html#history). Boundaries are the lastUpdated stamps the server gave the writes, so the
// cases hold on a test-owned clock and on the wall clock of real processes alike.
import type { ContractServer } from './target';
import type { ContractSuite } from './contract';

const FHIR = 'application/fhir+json';
const between = (a: string, b: string) => new Date(Math.floor((Date.parse(a) + Date.parse(b)) / 2)).toISOString();

export const historyContract: ContractSuite = {
  id: 'history',
  title: 'history',
  define({ target, it }) {
    let t: ContractServer;
    const put = async (type: string, id: string, extra: Record<string, unknown> = {}) => {
      const res = await t.http.put(`/fhir/${type}/${id}`).set('Content-Type', FHIR).send(JSON.stringify({ resourceType: type, id, ...extra }));
      expect([200, 201]).toContain(res.status);
      return res.body.meta.lastUpdated as string;
    };

    // Versions written at start-up (the conformance resources of fhir-profiles/) precede the test's own.
    let baseline = 0;
    const stamps: Record<string, string> = {};
    beforeAll(async () => {
      t = await target.start({ fixedClock: '2025-01-01T00:00:00.000Z' });
      baseline = (await t.http.get('/fhir/_history')).body.total;
      await t.advance(1000);
      // Day 1: a1 v1, a2 v1; day 2: a1 v2, o1 v1; day 3: a1 deleted (v3).
      stamps.a1v1 = await put('Patient', 'a1', { gender: 'male' });
      stamps.a2v1 = await put('Patient', 'a2', { gender: 'female' });
      await t.advance(86400000);
      stamps.a1v2 = await put('Patient', 'a1', { gender: 'other' });
      stamps.o1v1 = await put('Organization', 'o1', { name: 'Acme' });
      await t.advance(86400000);
      expect((await t.http.delete('/fhir/Patient/a1')).status).toBe(204);
      stamps.a1v3 = (await t.http.get('/fhir/Patient/a1/_history')).body.entry[0].response.lastModified;
    });
    afterAll(() => t.close());

    it('instance history lists every version newest first, deletes included', async () => {
      const res = await t.http.get('/fhir/Patient/a1/_history');
      expect(res.status).toBe(200);
      expect(res.body.type).toBe('history');
      expect(res.body.total).toBe(3);
      const entries = res.body.entry;
      expect(entries.map((e: { response: { etag: string } }) => e.response.etag)).toEqual(['W/"3"', 'W/"2"', 'W/"1"']);
      expect(entries[0].request).toEqual({ method: 'DELETE', url: 'Patient/a1' });
      expect(entries[0].resource).toBeUndefined();
      expect(entries[1].request.method).toBe('PUT');
      expect(entries[1].resource.gender).toBe('other');
      expect(entries[2].request.method).toBe('POST');
    });

    it('type and system history', async () => {
      expect((await t.http.get('/fhir/Patient/_history')).body.total).toBe(4);
      expect((await t.http.get('/fhir/Organization/_history')).body.total).toBe(1);
      expect((await t.http.get('/fhir/_history')).body.total).toBe(baseline + 5);
    });

    it('_since keeps versions written at or after the instant', async () => {
      const res = await t.http.get(`/fhir/_history?_since=${stamps.a1v2}`);
      expect(res.body.total).toBe(3);
      const last = await t.http.get(`/fhir/_history?_since=${stamps.a1v3}`);
      expect(last.body.total).toBe(1);
    });

    it('_since with a date (day precision)', async () => {
      expect(stamps.a1v3.startsWith('2025-01-03')).toBe(true);
      expect((await t.http.get('/fhir/_history?_since=2025-01-02')).body.total).toBe(3);
      expect((await t.http.get('/fhir/_history?_since=2025-01-03')).body.total).toBe(1);
    });

    it('_at keeps the versions current at that time', async () => {
      const day1 = await t.http.get(`/fhir/Patient/a1/_history?_at=${between(stamps.a2v1, stamps.a1v2)}`);
      expect(day1.body.entry.map((e: { response: { etag: string } }) => e.response.etag)).toEqual(['W/"1"']);
      const day2 = await t.http.get(`/fhir/Patient/_history?_at=${between(stamps.o1v1, stamps.a1v3)}`);
      expect(day2.body.entry.map((e: { fullUrl: string; response: { etag: string } }) => `${e.fullUrl.split('/').pop()}@${e.response.etag}`).sort()).toEqual([
        'a1@W/"2"',
        'a2@W/"1"',
      ]);
    });

    it('pages with _count and next links until complete, pages disjoint', async () => {
      const seen: string[] = [];
      let url: string | undefined = `/fhir/_history?_count=2&_since=${stamps.a1v1}`;
      let pages = 0;
      while (url) {
        const res = await t.http.get(url);
        expect(res.status).toBe(200);
        expect(res.body.total).toBe(5);
        for (const e of res.body.entry ?? []) seen.push(`${e.fullUrl}@${e.response.etag}`);
        const next = (res.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
        url = next ? new URL(next.url).pathname + new URL(next.url).search : undefined;
        pages++;
      }
      expect(pages).toBe(3);
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
    });

    it('new writes during paging do not shift later pages', async () => {
      const first = await t.http.get('/fhir/Patient/_history?_count=2');
      const next = first.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
      await t.advance(1000);
      await put('Patient', 'late');
      const second = await t.http.get(new URL(next).pathname + new URL(next).search);
      const firstIds = first.body.entry.map((e: { fullUrl: string; response: { etag: string } }) => e.fullUrl + e.response.etag);
      const secondIds = second.body.entry.map((e: { fullUrl: string; response: { etag: string } }) => e.fullUrl + e.response.etag);
      expect(firstIds.filter((x: string) => secondIds.includes(x))).toEqual([]);
      expect(secondIds.some((x: string) => x.includes('/late'))).toBe(false);
    });

    it("a cursor the engine did not issue answers 400 (each engine's format is its own)", async () => {
      // Another engine's cursor: a sequence number, and a base64url keyset token.
      for (const cursor of ['12', 'eyJsdSI6IngiLCJrIjoxfQ', 'not/a*token']) {
        const res = await t.http.get(`/fhir/_history?_cursor=${encodeURIComponent(cursor)}`);
        if (res.status === 200) continue; // this engine's own format happened to parse: a valid page
        expect([cursor, res.status, res.body.resourceType]).toEqual([cursor, 400, 'OperationOutcome']);
      }
      expect((await t.http.get('/fhir/_history?_cursor=eyJsdSI6IngiLCJrIjoxfQ')).status).not.toBe(500);
    });

    it('history of a never-written resource is 404; of an unknown type 404', async () => {
      expect((await t.http.get('/fhir/Patient/zzz/_history')).status).toBe(404);
      expect((await t.http.get('/fhir/Foo/_history')).status).toBe(404);
    });
  },
};
