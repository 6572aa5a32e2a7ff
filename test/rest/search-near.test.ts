// `near` (R4 Location special parameter) on both engines, over real HTTP: every answer is compared
// with a brute-force great-circle computation written here, independently of src/search/geo.ts —
// the matches, their order by distance, paging, totals, units, chains and the antimeridian.
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const R = 6371.0088;

function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const toRad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * toRad) / 2) ** 2 + Math.cos(lat1 * toRad) * Math.cos(lat2 * toRad) * Math.sin(((lon2 - lon1) * toRad) / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(Math.min(1, a)));
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Place {
  id: string;
  lat: number;
  lon: number;
}

const random = prng(14);
const places: Place[] = [];
// A city cluster (Amsterdam), a cluster across the antimeridian (Fiji/Taveuni) and one near a pole.
for (let i = 0; i < 90; i++) places.push({ id: `ams-${i}`, lat: 52.37 + (random() - 0.5) * 0.4, lon: 4.89 + (random() - 0.5) * 0.6 });
for (let i = 0; i < 30; i++) places.push({ id: `fiji-${i}`, lat: -16.8 + (random() - 0.5) * 0.6, lon: ((180 + (random() - 0.5) * 0.8 + 180) % 360) - 180 });
for (let i = 0; i < 10; i++) places.push({ id: `pole-${i}`, lat: 89.6 + random() * 0.35, lon: (random() - 0.5) * 360 });
const SPECIALTIES = ['cardiology', 'dermatology'];

type Entry = { resource: { id: string; resourceType: string } };

describeEachEngine('near search', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    const entry = places.map((p) => ({
      resource: { resourceType: 'Location', id: p.id, name: p.id, position: { latitude: p.lat, longitude: p.lon } },
      request: { method: 'PUT', url: `Location/${p.id}` },
    }));
    const roles = places.map((p, i) => ({
      resource: {
        resourceType: 'PractitionerRole',
        id: `role-${p.id}`,
        location: [{ reference: `Location/${p.id}` }],
        specialty: [{ coding: [{ system: 'http://snomed.info/sct', code: SPECIALTIES[i % 2] }] }],
      },
      request: { method: 'PUT', url: `PractitionerRole/role-${p.id}` },
    }));
    const odd = [
      { resource: { resourceType: 'Location', id: 'nowhere', name: 'no position' }, request: { method: 'PUT', url: 'Location/nowhere' } },
      { resource: { resourceType: 'Location', id: 'moved', name: 'moved', position: { latitude: 52.37, longitude: 4.89 } }, request: { method: 'PUT', url: 'Location/moved' } },
    ];
    const res = await t.http
      .post('/fhir')
      .set('Content-Type', FHIR)
      .send({ resourceType: 'Bundle', type: 'batch', entry: [...entry, ...roles, ...odd] });
    // A batch, not a transaction: FerretDB has no multi-document transactions.
    expect(res.status).toBe(200);
    for (const e of res.body.entry as Array<{ response: { status: string } }>) expect(e.response.status).toMatch(/^201/);
    // An update moves a Location away: its old position must no longer match.
    const moved = await t.http.put('/fhir/Location/moved').set('Content-Type', FHIR).send({ resourceType: 'Location', id: 'moved', position: { latitude: 10, longitude: 10 } });
    expect(moved.status).toBe(200);
  }, 60000);
  afterAll(() => t.close());

  /** All matches of a search, following `next` links page by page. */
  async function all(url: string): Promise<string[]> {
    const ids: string[] = [];
    let next: string | undefined = url;
    for (let guard = 0; next && guard < 100; guard++) {
      const res = await t.http.get(next);
      expect(res.status).toBe(200);
      ids.push(...((res.body.entry ?? []) as Entry[]).map((e) => e.resource.id));
      const link = (res.body.link as Array<{ relation: string; url: string }>).find((l) => l.relation === 'next');
      next = link ? link.url.replace(/^https?:\/\/[^/]+/, '') : undefined;
    }
    return ids;
  }

  const within = (lat: number, lon: number, km: number) =>
    places
      .map((p) => ({ id: p.id, d: haversine(lat, lon, p.lat, p.lon) }))
      .filter((x) => x.d <= km)
      .sort((a, b) => a.d - b.d);

  const cases: Array<[string, number, number, number]> = [
    ['central Amsterdam, 5 km', 52.37, 4.89, 5],
    ['central Amsterdam, 20 km', 52.37, 4.89, 20],
    ['Haarlem, 12 km', 52.38, 4.64, 12],
    ['across the antimeridian, 40 km', -16.8, 179.95, 40],
    ['the other side of the antimeridian, 30 km', -16.75, -179.9, 30],
    ['near the pole, 60 km', 89.9, 0, 60],
  ];

  it.each(cases)('%s: exactly the brute-force matches, nearest first, across pages', async (_name, lat, lon, km) => {
    const expected = within(lat, lon, km);
    expect(expected.length).toBeGreaterThan(0);
    const ids = await all(`/fhir/Location?near=${lat}|${lon}|${km}|km&_count=7`);
    expect([...ids].sort()).toEqual(expected.map((x) => x.id).sort());
    const distances = ids.map((id) => expected.find((x) => x.id === id)!.d);
    for (let i = 1; i < distances.length; i++) expect(distances[i]).toBeGreaterThanOrEqual(distances[i - 1]);
    expect(ids).not.toContain('moved');
    expect(ids).not.toContain('nowhere');
  });

  it('_sort=near and _sort=-near order by distance; the total counts every match', async () => {
    const expected = within(52.37, 4.89, 20);
    const asc = await all('/fhir/Location?_sort=near&near=52.37|4.89|20&_count=50');
    expect(asc).toEqual(await all('/fhir/Location?near=52.37|4.89|20&_count=50'));
    const desc = await all('/fhir/Location?near=52.37|4.89|20&_sort=-near&_count=9');
    expect(desc).toEqual([...asc].reverse());
    const count = await t.http.get('/fhir/Location?near=52.37|4.89|20&_summary=count');
    expect(count.body.total).toBe(expected.length);
    const page = await t.http.get('/fhir/Location?near=52.37|4.89|20&_count=3');
    expect(page.body.total).toBe(expected.length);
  });

  it('sorts by another key when asked, filtering by near', async () => {
    const expected = within(52.37, 4.89, 8).map((x) => x.id).sort();
    expect(await all('/fhir/Location?near=52.37|4.89|8&_sort=name&_count=4')).toEqual(expected);
  });

  it('understands units (m, [mi_i]) and defaults to km', async () => {
    const km = await all('/fhir/Location?near=52.37|4.89|10&_count=100');
    expect(km.sort()).toEqual(within(52.37, 4.89, 10).map((x) => x.id).sort());
    expect((await all('/fhir/Location?near=52.37|4.89|10000|m&_count=100')).sort()).toEqual(km);
    const miles = within(52.37, 4.89, 6 * 1.609344).map((x) => x.id).sort();
    expect((await all('/fhir/Location?near=52.37|4.89|6|[mi_i]&_count=100')).sort()).toEqual(miles);
  });

  it('works through a chain: PractitionerRole?location.near=…&specialty=…', async () => {
    const near = within(52.37, 4.89, 6).map((x) => x.id);
    const expected = places
      .map((p, i) => ({ p, i }))
      .filter(({ p, i }) => near.includes(p.id) && SPECIALTIES[i % 2] === 'cardiology')
      .map(({ p }) => `role-${p.id}`)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const ids = await all('/fhir/PractitionerRole?location.near=52.37|4.89|6|km&specialty=http://snomed.info/sct|cardiology&_count=100');
    expect(ids.sort()).toEqual(expected);
  });

  it(':missing finds Locations without a position', async () => {
    const ids = await all('/fhir/Location?near:missing=true&_count=100');
    expect(ids).toEqual(['nowhere']);
  });

  it.each([
    ['near=abc', /latitude\|longitude/],
    ['near=91|0|5', /latitude must lie/],
    ['near=52|4|5|parsec', /unknown distance unit/],
    ['near=52|4|-5', /distance must be a number/],
    ['near=52|4|5,53|4|5', /one point/],
    ['_sort=near', /needs a near parameter/],
    ['near:exact=52|4|5', /:exact/],
  ])('%s is a 400 OperationOutcome saying what to fix', async (query, message) => {
    const res = await t.http.get(`/fhir/Location?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body.issue)).toMatch(message);
  });
});
