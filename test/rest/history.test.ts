// History at instance, type and system level, with paging, _since, _at and _count (R4 http.html#history).
import { makeTestServer, fixedClock, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';

describe('history', () => {
  let t: TestServer;
  const clock = fixedClock('2025-01-01T00:00:00.000Z');
  const put = (type: string, id: string, extra: Record<string, unknown> = {}) =>
    t.http.put(`/fhir/${type}/${id}`).set('Content-Type', FHIR).send(JSON.stringify({ resourceType: type, id, ...extra }));

  // Versions written at start-up (the conformance resources of fhir-profiles/) precede the test's own.
  let baseline = 0;
  beforeAll(async () => {
    t = await makeTestServer({ clock });
    baseline = (await t.http.get('/fhir/_history')).body.total;
    clock.advance(1000);
    // Day 1: a1 v1, a2 v1; day 2: a1 v2, o1 v1; day 3: a1 deleted (v3).
    await put('Patient', 'a1', { gender: 'male' });
    await put('Patient', 'a2', { gender: 'female' });
    clock.advance(86400000);
    await put('Patient', 'a1', { gender: 'other' });
    await put('Organization', 'o1', { name: 'Acme' });
    clock.advance(86400000);
    await t.http.delete('/fhir/Patient/a1');
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
    const res = await t.http.get('/fhir/_history?_since=2025-01-02T00:00:00Z');
    expect(res.body.total).toBe(3);
    const date = await t.http.get('/fhir/_history?_since=2025-01-03');
    expect(date.body.total).toBe(1);
  });

  it('_at keeps the versions current at that time', async () => {
    const noon1 = await t.http.get('/fhir/Patient/a1/_history?_at=2025-01-01T12:00:00Z');
    expect(noon1.body.entry.map((e: { response: { etag: string } }) => e.response.etag)).toEqual(['W/"1"']);
    const day2 = await t.http.get('/fhir/Patient/_history?_at=2025-01-02T12:00:00Z');
    expect(day2.body.entry.map((e: { fullUrl: string; response: { etag: string } }) => `${e.fullUrl.split('/').pop()}@${e.response.etag}`).sort()).toEqual([
      'a1@W/"2"',
      'a2@W/"1"',
    ]);
  });

  it('pages with _count and next links until complete, pages disjoint', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/fhir/_history?_count=2&_since=2025-01-01T00:00:01Z';
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
    clock.advance(1000);
    await put('Patient', 'late');
    const second = await t.http.get(new URL(next).pathname + new URL(next).search);
    const firstIds = first.body.entry.map((e: { fullUrl: string; response: { etag: string } }) => e.fullUrl + e.response.etag);
    const secondIds = second.body.entry.map((e: { fullUrl: string; response: { etag: string } }) => e.fullUrl + e.response.etag);
    expect(firstIds.filter((x: string) => secondIds.includes(x))).toEqual([]);
    expect(secondIds.some((x: string) => x.includes('/late'))).toBe(false);
  });

  it('history of a never-written resource is 404; of an unknown type 404', async () => {
    expect((await t.http.get('/fhir/Patient/zzz/_history')).status).toBe(404);
    expect((await t.http.get('/fhir/Foo/_history')).status).toBe(404);
  });
});
