// Scheduling on both engines over real HTTP: the 50-way race on one Slot, bad input refused with
// nothing half-changed, the same rules through plain writes and Bundles, holds that lapse, and a
// randomised concurrent run of find/hold/book/cancel/reschedule followed by an invariant scan.
import { describeEachEngine } from '../support/engines';
import { fixedClock, makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
const PPRF = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }];
const HOUR = 3_600_000;
const T0 = Date.parse('2030-01-01T08:00:00Z');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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

const slot = (id: string, n: number, status = 'free') => ({
  resourceType: 'Slot',
  id,
  schedule: { reference: 'Schedule/cardio' },
  status,
  start: new Date(T0 + n * HOUR).toISOString(),
  end: new Date(T0 + n * HOUR + HOUR / 2).toISOString(),
});
const proposal = (...slots: string[]) => ({ resourceType: 'Appointment', status: 'proposed', slot: slots.map((s) => ({ reference: `Slot/${s}` })), participant: [{ status: 'needs-action', type: PPRF }] });
const params = (name: string, resource: Json) => ({ resourceType: 'Parameters', parameter: [{ name, resource }] });

describeEachEngine('scheduling', (factory) => {
  let t: TestServer;
  const clock = fixedClock('2029-12-01T00:00:00.000Z');
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make(), clock });
    await put({ resourceType: 'Schedule', id: 'cardio', actor: [{ reference: 'Practitioner/doc' }] });
    await put({ resourceType: 'Practitioner', id: 'doc' });
  }, 60000);
  afterAll(() => t.close());

  async function put(r: Json) {
    const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(r);
    expect([200, 201]).toContain(res.status);
    return res.body;
  }
  const read = async (type: string, id: string) => (await t.http.get(`/fhir/${type}/${id}`)).body;
  const book = (...slots: string[]) => t.http.post('/fhir/Appointment/$book').set('Content-Type', FHIR).send(params('appointment', proposal(...slots)));

  it('50 concurrent bookings of one Slot: exactly one 2xx, the others 409 naming the Slot', async () => {
    await put(slot('race', 1));
    const answers = await Promise.all(Array.from({ length: 50 }, () => book('race')));
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(r.body.issue)).toContain('Slot/race');
    }
    expect((await read('Slot', 'race')).status).toBe('busy');
    const booked = await t.http.get('/fhir/Appointment?slot=Slot/race&status=booked');
    expect(booked.body.total).toBe(1);
  }, 120000);

  it('refuses bad bookings with a 4xx OperationOutcome and changes nothing', async () => {
    await put(slot('past', -24 * 40));
    await put(slot('ok', 2));
    await put(slot('blocked', 3, 'busy-unavailable'));
    const before = await t.http.get('/fhir/Appointment?_summary=count');
    for (const [ids, status, text] of [
      [['past'], 400, 'ended'],
      [['nope'], 404, 'does not exist'],
      [['blocked'], 409, 'busy-unavailable'],
      [['ok', 'blocked'], 409, 'Slot/blocked'],
    ] as Array<[string[], number, string]>) {
      const res = await book(...ids);
      expect([ids, res.status]).toEqual([ids, status]);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(res.body.issue)).toContain(text);
    }
    expect((await read('Slot', 'ok')).status).toBe('free'); // not half-booked by the refused pair
    expect((await t.http.get('/fhir/Appointment?_summary=count')).body.total).toBe(before.body.total);
  });

  it('hold: busy-tentative for the holder only, and it lapses by itself', async () => {
    await put(slot('held', 4));
    const hold = await t.http.post('/fhir/Appointment/$hold').set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'appointment', resource: proposal('held') }, { name: 'duration', valuePositiveInt: 600 }] });
    expect(hold.status).toBe(200);
    expect((await read('Slot', 'held')).status).toBe('busy-tentative');
    const other = await book('held');
    expect(other.status).toBe(409);
    expect(JSON.stringify(other.body.issue)).toContain('held by someone else');
    // $find does not offer a held Slot… until the hold lapses.
    const offered = async () => ((await t.http.get('/fhir/Appointment/$find?start=2029-12-01T00:00:00Z&end=2030-01-02T00:00:00Z&_count=100')).body.entry ?? []).map((e: Json) => e.resource.slot[0].reference);
    expect(await offered()).not.toContain('Slot/held');
    clock.advance(601_000);
    expect(await offered()).toContain('Slot/held');
    // The holder's own proposal books after a fresh hold; someone else after a lapsed one.
    const again = await t.http.post('/fhir/Appointment/$hold').set('Content-Type', FHIR).send(params('appointment', proposal('held')));
    expect(again.status).toBe(200);
    const mine = await t.http.post('/fhir/Appointment/$book').set('Content-Type', FHIR).send(params('appointment', again.body));
    expect(mine.status).toBe(200);
    expect(mine.body.status).toBe('booked');
    expect((await read('Slot', 'held')).status).toBe('busy');
  });

  it('$find proposes free Slots ordered by start, for the practitioner', async () => {
    await put(slot('find-1', 10));
    await put(slot('find-0', 0));
    const res = await t.http.get('/fhir/Appointment/$find?practitioner=Practitioner/doc&patient=Patient/p1&start=2029-12-01T00:00:00Z&end=2030-01-02T00:00:00Z');
    expect(res.status).toBe(200);
    const entries = (res.body.entry ?? []).map((e: Json) => e.resource);
    expect(entries.length).toBeGreaterThan(0);
    for (const a of entries) expect(a.status).toBe('proposed');
    const starts = entries.map((a: Json) => a.start);
    expect(starts).toEqual([...starts].sort());
    expect(entries[0].participant.map((p: Json) => p.actor?.reference)).toEqual(['Practitioner/doc', 'Patient/p1']);
    expect((await t.http.get('/fhir/Appointment/$find?practitioner=Practitioner/nobody')).body.total).toBe(0);
    // near: Slots whose Schedule is for a Location within the distance.
    await put({ resourceType: 'Location', id: 'dam', position: { latitude: 52.373, longitude: 4.893 } });
    await put({ resourceType: 'Schedule', id: 'at-dam', actor: [{ reference: 'Location/dam' }] });
    await put({ ...slot('near-1', 9), schedule: { reference: 'Schedule/at-dam' } });
    const near = async (q: string) => ((await t.http.get(`/fhir/Appointment/$find?near=${q}&start=2029-12-01T00:00:00Z&end=2030-01-02T00:00:00Z`)).body.entry ?? []).map((e: Json) => e.resource.slot[0].reference);
    expect(await near('52.379|4.900|5|km')).toEqual(['Slot/near-1']);
    expect(await near('48.85|2.35|5|km')).toEqual([]);
    const bad = await t.http.get('/fhir/Appointment/$find?near=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.resourceType).toBe('OperationOutcome');
  });

  it('cancel frees the Slot; reschedule takes the new Slot first or changes nothing', async () => {
    await put(slot('r1', 5));
    await put(slot('r2', 6));
    await put(slot('r3', 7));
    const a = (await book('r1')).body;
    const b = (await book('r3')).body;
    const onto = async (id: string, s: string) => t.http.post(`/fhir/Appointment/${id}/$reschedule`).set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'slot', valueReference: { reference: `Slot/${s}` } }] });
    const taken = await onto(a.id, 'r3');
    expect(taken.status).toBe(409);
    expect(JSON.stringify(taken.body.issue)).toContain('Slot/r3');
    expect((await read('Slot', 'r1')).status).toBe('busy');
    expect((await read('Appointment', a.id)).slot).toEqual([{ reference: 'Slot/r1' }]);
    const moved = await onto(a.id, 'r2');
    expect(moved.status).toBe(200);
    expect((await read('Slot', 'r1')).status).toBe('free');
    expect((await read('Slot', 'r2')).status).toBe('busy');
    const cancelled = await t.http.post(`/fhir/Appointment/${b.id}/$cancel`).set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'patient request' }] });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.cancelationReason.text).toBe('patient request');
    expect((await read('Slot', 'r3')).status).toBe('free');
    const twice = await t.http.post(`/fhir/Appointment/${b.id}/$cancel`).set('Content-Type', FHIR).send({ resourceType: 'Parameters' });
    expect(twice.status).toBe(409);
  });

  it('plain writes follow the same rules: PUT, PATCH, DELETE and Bundle entries', async () => {
    await put(slot('p1', 8));
    const a = (await book('p1')).body;
    // A second Appointment on the same Slot by plain POST, and in a batch entry: refused.
    const dup = { resourceType: 'Appointment', status: 'booked', start: a.start, end: a.end, slot: [{ reference: 'Slot/p1' }], participant: [{ status: 'accepted', type: PPRF }] };
    expect((await t.http.post('/fhir/Appointment').set('Content-Type', FHIR).send(dup)).status).toBe(409);
    const batch = await t.http.post('/fhir').set('Content-Type', FHIR).send({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: dup, request: { method: 'POST', url: 'Appointment' } }] });
    expect(batch.body.entry[0].response.status).toMatch(/^409/);
    // Freeing a booked Slot by hand is refused; cancelling by PATCH frees it.
    expect((await t.http.put('/fhir/Slot/p1').set('Content-Type', FHIR).send(slot('p1', 8))).status).toBe(409);
    expect((await t.http.delete('/fhir/Slot/p1')).status).toBe(409);
    const patch = await t.http
      .patch(`/fhir/Appointment/${a.id}`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'replace', path: '/status', value: 'cancelled' }]);
    expect(patch.status).toBe(200);
    expect((await read('Slot', 'p1')).status).toBe('free');
    // Booking by plain PUT claims the Slot; deleting the Appointment frees it.
    expect((await t.http.put('/fhir/Appointment/by-put').set('Content-Type', FHIR).send({ ...dup, id: 'by-put' })).status).toBe(201);
    expect((await read('Slot', 'p1')).status).toBe('busy');
    expect((await t.http.delete('/fhir/Appointment/by-put')).status).toBe(204);
    expect((await read('Slot', 'p1')).status).toBe('free');
  });

  it('randomised concurrent find/hold/book/cancel/reschedule keep the invariant', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `inv-${i}`);
    for (const [i, id] of ids.entries()) await put(slot(id, 100 + i));
    const random = prng(factory.name === 'sqlite' ? 1 : 2);
    const booked: string[] = [];
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    const statuses: number[] = [];
    const call = async (): Promise<void> => {
      const r = random();
      let res;
      if (r < 0.15) res = await t.http.get('/fhir/Appointment/$find?start=2030-01-01T00:00:00Z&end=2030-01-31T00:00:00Z&_count=5');
      else if (r < 0.3) res = await t.http.post('/fhir/Appointment/$hold').set('Content-Type', FHIR).send(params('appointment', proposal(pick(ids))));
      else if (r < 0.65) {
        res = await book(pick(ids));
        if (res.status === 200) booked.push(res.body.id);
      } else if (r < 0.77 && booked.length) res = await t.http.post(`/fhir/Appointment/${pick(booked)}/$cancel`).set('Content-Type', FHIR).send({ resourceType: 'Parameters' });
      else if (r < 0.85 && booked.length) {
        // The other door: a plain PUT that cancels (or, for one already cancelled, books again).
        const current = await read('Appointment', pick(booked));
        res = await t.http.put(`/fhir/Appointment/${current.id}`).set('Content-Type', FHIR).send({ ...current, status: current.status === 'booked' ? 'cancelled' : 'booked' });
      } else if (booked.length) {
        res = await t.http.post(`/fhir/Appointment/${pick(booked)}/$reschedule`).set('Content-Type', FHIR).send({ resourceType: 'Parameters', parameter: [{ name: 'slot', valueReference: { reference: `Slot/${pick(ids)}` } }] });
      } else res = await book(pick(ids));
      statuses.push(res.status);
      if (res.status >= 400) expect(res.body.resourceType).toBe('OperationOutcome');
      if (res.status >= 400) expect([res.status, JSON.stringify(res.body).slice(0, 300)]).toEqual([expect.any(Number), expect.stringMatching(/Slot|Appointment|cancel|ended|held|booked/)]);
    };
    // 200 calls, 10 at a time.
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 10 }, call));
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(20);

    // The scan: a Slot is busy exactly when one active Appointment references it, and every
    // active Appointment's Slots are busy.
    const active = ((await t.http.get('/fhir/Appointment?status=booked,arrived,checked-in,fulfilled&_count=1000')).body.entry ?? []).map((e: Json) => e.resource);
    const holders = new Map<string, string[]>();
    for (const a of active) for (const s of a.slot ?? []) holders.set(s.reference, [...(holders.get(s.reference) ?? []), a.id]);
    for (const id of ids) {
      const s = await read('Slot', id);
      const h = holders.get(`Slot/${id}`) ?? [];
      expect([id, h.length <= 1]).toEqual([id, true]);
      if (s.status === 'busy') expect([id, h.length]).toEqual([id, 1]);
      else expect([id, s.status, h]).toEqual([id, s.status, []]);
    }
    // FerretDB on a loaded 2-core machine: ~150 s alone, more beside other suites.
  }, 600000);
});
