// The generator's service orders and portal directory: every Task state occurs, each order's
// status is what the server's order rules derive from its Tasks, and the directory carries the
// languages, availability, categories and types the portal searches by. Then a generated record
// is loaded through the server's write rules on both engines and comes back unchanged.
import type { HealthcareService, Practitioner, PractitionerRole, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { requestStatusFromTasks, TASK_TRANSITIONS, type TaskStatus } from '../../src/workflow/order-states';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { collect, type Generated } from './helpers';

let data: Generated;
let all: Resource[];
const ofType = <T extends Resource>(type: T['resourceType']): T[] => all.filter((r): r is T => r.resourceType === type);

beforeAll(() => {
  data = collect(300, 11);
  all = [...data.shared, ...data.patients.flatMap((p) => p.resources)];
});

describe('generated service orders', () => {
  it('has Tasks in every R4 state and every request priority', () => {
    const tasks = ofType<Task>('Task');
    // The rarest states come from few orders (rejected: 3 in 10 of the handful of cancelled
    // referrals among 300 patients), so a second population of another seed joins the count.
    const second = collect(300, 13).patients.flatMap((p) => p.resources).filter((r): r is Task => r.resourceType === 'Task');
    expect(new Set([...tasks, ...second].map((t) => t.status))).toEqual(new Set(Object.keys(TASK_TRANSITIONS)));
    expect(new Set(tasks.map((t) => t.priority))).toEqual(new Set(['routine', 'urgent', 'asap', 'stat']));
  });

  it("gives each order the status the server derives from its Tasks, and links the completed Task's Procedure", () => {
    const tasksOf = new Map<string, Task[]>();
    for (const t of ofType<Task>('Task')) tasksOf.set(t.focus!.reference!, [...(tasksOf.get(t.focus!.reference!) ?? []), t]);
    const procedures = new Set(ofType('Procedure').map((p) => `Procedure/${p.id}`));
    for (const sr of ofType<ServiceRequest>('ServiceRequest')) {
      const tasks = tasksOf.get(`ServiceRequest/${sr.id}`) ?? [];
      expect([sr.id, tasks.filter((t) => t.status !== 'entered-in-error').length]).toEqual([sr.id, 1]);
      const real = tasks.find((t) => t.status !== 'entered-in-error')!;
      // Imported one by one, a final Task leaves its order as written; an open one sets it.
      const derived = requestStatusFromTasks(sr.status, tasks.map((t) => t.status as TaskStatus));
      expect([sr.id, real.status, derived]).toEqual([sr.id, real.status, sr.status]);
      if (real.status === 'completed') {
        expect(sr.status).toBe('completed');
        expect(procedures.has(real.output![0].valueReference!.reference!)).toBe(true);
      }
      if (['received', 'accepted', 'in-progress', 'on-hold', 'completed', 'failed'].includes(real.status)) expect(real.owner).toBeDefined();
      if (real.executionPeriod?.start && real.executionPeriod.end) expect(real.executionPeriod.start <= real.executionPeriod.end).toBe(true);
    }
  });

  it('gives the directory languages, availability, service categories and types', () => {
    const practitioners = ofType<Practitioner>('Practitioner');
    expect(practitioners.every((p) => p.communication?.[0]?.coding?.[0]?.code === 'en')).toBe(true);
    expect(practitioners.filter((p) => (p.communication?.length ?? 0) > 1).length).toBeGreaterThan(5);
    expect(ofType<PractitionerRole>('PractitionerRole').every((r) => r.availableTime?.length && r.specialty?.length && r.location?.length)).toBe(true);
    const services = ofType<HealthcareService>('HealthcareService');
    for (const s of services) {
      expect([s.id, !!s.category?.length, !!s.type?.length, !!s.communication?.length, !!s.location?.length]).toEqual([s.id, true, true, true, true]);
    }
    expect(ofType('Location').every((l) => typeof (l as { position?: { latitude?: number } }).position?.latitude === 'number')).toBe(true);
  });

  it('is deterministic', () => {
    const again = collect(20, 11);
    expect(JSON.stringify(again.patients.slice(0, 20))).toBe(JSON.stringify(data.patients.slice(0, 20)));
    expect(JSON.stringify(again.shared)).toBe(JSON.stringify(data.shared));
  });
});

describeEachEngine('generated orders through the write rules', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  }, 60000);
  afterAll(() => t.close());

  it('loads every order and Task of 40 patients by PUT (orders first, as import does) and reads them back unchanged', async () => {
    const picked = data.patients.slice(0, 40).flatMap((p) => p.resources).filter((r) => r.resourceType === 'ServiceRequest' || r.resourceType === 'Task');
    const ordered = [...picked.filter((r) => r.resourceType === 'ServiceRequest'), ...picked.filter((r) => r.resourceType === 'Task')];
    expect(ordered.length).toBeGreaterThan(20);
    for (const r of ordered) {
      const res = await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', 'application/fhir+json').send(r);
      expect([r.id, res.status, res.body.issue]).toEqual([r.id, 201, undefined]);
    }
    for (const r of ordered) {
      const { meta: _meta, ...stored } = (await t.http.get(`/fhir/${r.resourceType}/${r.id}`)).body;
      expect(stored).toEqual(r);
    }
  }, 120000);
});
