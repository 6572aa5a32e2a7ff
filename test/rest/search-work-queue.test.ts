// Work queues over Tasks, on both engines over real HTTP: a performer's open Tasks by status,
// most urgent first (request priority sorts by rank: routine < urgent < asap < stat), then oldest;
// and a patient's Tasks through the order they fulfil (`focus:ServiceRequest.patient`).
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

const FHIR = 'application/fhir+json';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const order = (id: string, patient: string) => ({ resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: { reference: `Patient/${patient}` } });
const task = (id: string, focus: string, status: string, owner: string, priority: string, authoredOn: string) => ({
  resourceType: 'Task',
  id,
  status,
  intent: 'order',
  priority,
  authoredOn,
  focus: { reference: `ServiceRequest/${focus}` },
  owner: { reference: owner },
});

const LAB = 'Organization/lab';
const XRAY = 'Organization/xray';
const TASKS = [
  task('q-routine-old', 'o1', 'requested', LAB, 'routine', '2030-01-01T08:00:00Z'),
  task('q-stat', 'o1', 'accepted', LAB, 'stat', '2030-01-03T08:00:00Z'),
  task('q-urgent', 'o2', 'requested', LAB, 'urgent', '2030-01-02T08:00:00Z'),
  task('q-routine-new', 'o2', 'accepted', LAB, 'routine', '2030-01-04T08:00:00Z'),
  task('q-asap', 'o3', 'requested', LAB, 'asap', '2030-01-05T08:00:00Z'),
  task('q-started', 'o3', 'in-progress', LAB, 'stat', '2030-01-01T09:00:00Z'), // not in the queue's statuses
  task('q-other-owner', 'o1', 'requested', XRAY, 'stat', '2030-01-01T10:00:00Z'),
];

describeEachEngine('work queues', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    for (const r of [order('o1', 'p1'), order('o2', 'p2'), order('o3', 'p1'), ...TASKS]) {
      const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', FHIR).send(r);
      expect([r.id, res.status]).toEqual([r.id, 201]);
    }
  }, 60000);
  afterAll(() => t.close());

  /** Every id of a search, following next links. */
  async function all(query: string): Promise<string[]> {
    const ids: string[] = [];
    let url: string | undefined = `/fhir/${query}`;
    while (url) {
      const res = await t.http.get(url);
      expect([query, res.status]).toEqual([query, 200]);
      ids.push(...(res.body.entry ?? []).map((e: Json) => e.resource.id));
      const next: string | undefined = res.body.link?.find((l: Json) => l.relation === 'next')?.url;
      url = next ? next.slice(next.indexOf('/fhir/')) : undefined;
    }
    return ids;
  }

  it('a performer queue, most urgent first and then oldest, page by page', async () => {
    const queue = `Task?owner=${LAB}&status=requested,accepted&_sort=-priority,authored-on&_count=2`;
    expect(await all(queue)).toEqual(['q-stat', 'q-asap', 'q-urgent', 'q-routine-old', 'q-routine-new']);
  });

  it('_sort=priority ranks routine lowest (the order of the request-priority codes, not the alphabet)', async () => {
    expect(await all(`Task?owner=${LAB}&status=requested,accepted&_sort=priority,authored-on`)).toEqual(['q-routine-old', 'q-routine-new', 'q-urgent', 'q-asap', 'q-stat']);
  });

  it("a patient's Tasks through the order they fulfil", async () => {
    expect((await all('Task?focus:ServiceRequest.patient=Patient/p1&_sort=_id')).sort()).toEqual(['q-asap', 'q-other-owner', 'q-routine-old', 'q-started', 'q-stat']);
    expect((await all('Task?focus:ServiceRequest.subject=Patient/p2&status=accepted'))).toEqual(['q-routine-new']);
    // `for` is taken from the order when a Task does not say, so the direct search agrees.
    expect((await all('Task?patient=Patient/p1')).sort()).toEqual((await all('Task?focus:ServiceRequest.patient=Patient/p1')).sort());
  });

  it('an unknown chain target or a bad modifier is a 400 OperationOutcome', async () => {
    for (const q of ['Task?focus:Nonsense.patient=Patient/p1', 'Task?focus:ServiceRequest.nonsense=x']) {
      const res = await t.http.get(`/fhir/${q}`).set('Prefer', 'handling=strict');
      expect([q, res.status, res.body.resourceType]).toEqual([q, 400, 'OperationOutcome']);
    }
  });
});
