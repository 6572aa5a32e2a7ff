/**
 * The state of a referral's order workflow at `now`: the ServiceRequest's status and priority and
 * its Tasks, consistent with the server's service-order rules (docs/service-orders.md) so that the
 * data imports through them unchanged. Every Task state of R4 occurs:
 * - done → completed (its output links the Procedure); withdrawn → cancelled, or rejected by the
 *   performer; the patient died first → cancelled;
 * - still open → by days since ordering: requested (< 1), received (< 3), accepted or ready (< 7),
 *   then in-progress; some in-progress ones are on-hold (their order too) or failed (the order stays
 *   active, awaiting a retry); a few orders are still unsigned drafts. Since few referrals of the
 *   record fall in the weeks before `now`, a waiting list of open orders is added (procedures.ts);
 * - now and then a duplicate Task was entered in error next to the real one.
 * Draws come from a stream per order, so the rest of the record is as it was before this module.
 */
import type { ServiceRequest, Task } from '@medplum/fhirtypes';
import type { LiteralReference } from './context';
import type { PatientContext } from './context';
import { ref } from './context';
import { Random } from './random';
import { concept } from './terminology';
import { dateTime, DAY, HOUR } from './time';

export interface OrderFate {
  requestStatus: ServiceRequest['status'];
  taskStatus: Task['status'];
  priority: NonNullable<ServiceRequest['priority']>;
  /** A duplicate Task entered in error sits next to the real one. */
  duplicate: boolean;
  random: Random;
}

export interface OrderTiming {
  ordered: number;
  due: number;
  /** End of the performed procedure (due + its duration). */
  finished: number;
  waitDays: number;
  cancelled: boolean;
  done: boolean;
}

const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;

function fateOf(random: Random, requestStatus: ServiceRequest['status'], taskStatus: Task['status']): OrderFate {
  const priority = random.weighted(PRIORITIES, [75, 17, 6, 2]);
  return { requestStatus, taskStatus, priority, duplicate: random.chance(0.02), random };
}

export function orderFate(ctx: PatientContext, srId: string, t: OrderTiming): OrderFate {
  const random = new Random('order-workflow', ctx.seed, ctx.index, srId);
  const fate = (requestStatus: ServiceRequest['status'], taskStatus: Task['status']): OrderFate => fateOf(random, requestStatus, taskStatus);
  if (t.cancelled) return fate('revoked', random.chance(0.3) ? 'rejected' : 'cancelled');
  if (t.done) return fate('completed', 'completed');
  if (ctx.death !== undefined) return fate('revoked', 'cancelled');
  if (random.chance(0.03)) return fate('draft', 'draft');
  const days = (ctx.now - t.ordered) / DAY;
  if (days < 1) return fate('active', 'requested');
  if (days < 3) return fate('active', 'received');
  if (days < 7) return fate('active', random.chance(0.2) ? 'ready' : 'accepted');
  const r = random.next();
  if (r < 0.06) return fate('on-hold', 'on-hold');
  if (r < 0.1) return fate('active', 'failed');
  return fate('active', 'in-progress');
}

/** Open states of orders on the waiting list at `now`, with their weights and the days since ordering they imply. */
const WAITING: ReadonlyArray<[Task['status'], number, [number, number]]> = [
  ['draft', 8, [0, 3]], ['requested', 14, [0, 1]], ['received', 12, [1, 3]], ['accepted', 12, [3, 7]], ['ready', 10, [3, 7]],
  ['in-progress', 26, [7, 40]], ['on-hold', 10, [8, 40]], ['failed', 10, [8, 40]],
];

/** An order still open at `now` (the waiting list): its fate and how many days ago it was placed. */
export function waitingFate(random: Random): { fate: OrderFate; daysAgo: number } {
  const [taskStatus, , [lo, hi]] = random.weighted(WAITING, WAITING.map((w) => w[1]));
  const requestStatus: ServiceRequest['status'] = taskStatus === 'draft' ? 'draft' : taskStatus === 'on-hold' ? 'on-hold' : 'active';
  return { fate: fateOf(random, requestStatus, taskStatus), daysAgo: random.uniform(lo, hi) };
}

const BUSINESS_STATUS: Partial<Record<Task['status'], string>> = {
  draft: 'Awaiting signature',
  requested: 'Awaiting triage',
  received: 'In triage',
  accepted: 'Accepted, to be scheduled',
  ready: 'Ready to schedule',
  'in-progress': 'Booked, awaiting date',
  'on-hold': 'On hold: awaiting patient information',
  failed: 'Could not be performed',
  completed: 'Procedure performed',
  cancelled: 'Order withdrawn',
  rejected: 'Referral declined',
  'entered-in-error': 'Duplicate',
};

export interface OrderParties {
  requester: LiteralReference;
  owner: LiteralReference;
  encounterId?: string;
  /** The performed Procedure, linked as the completed Task's output. */
  procedureId?: string;
}

/** The order's Tasks (the real one last), with the times each state implies. */
export function orderTasks(ctx: PatientContext, srId: string, fate: OrderFate, t: OrderTiming, parties: OrderParties): Task[] {
  const r = fate.random;
  const status = fate.taskStatus;
  const at = (days: number) => Math.min(ctx.now, ctx.end, t.ordered + days * DAY);
  let start: number | undefined;
  let end: number | undefined;
  let lastModified = t.ordered;
  if (status === 'received') lastModified = at(1);
  else if (status === 'accepted' || status === 'ready') lastModified = at(r.int(2, 3));
  else if (status === 'in-progress') lastModified = start = at(7);
  else if (status === 'on-hold') {
    start = at(7);
    lastModified = at(r.int(8, 14));
  } else if (status === 'failed') {
    start = at(7);
    lastModified = end = at(r.int(8, Math.max(8, t.waitDays)));
  } else if (status === 'completed') {
    start = t.due;
    lastModified = end = t.finished;
  } else if (status === 'cancelled' || status === 'rejected') {
    lastModified = end = Math.min(ctx.end, t.ordered + r.int(1, t.waitDays) * DAY);
  }
  const base = (id: string, s: Task['status']): Task => ({
    resourceType: 'Task',
    id,
    basedOn: [ref('ServiceRequest', srId)],
    status: s,
    businessStatus: { text: BUSINESS_STATUS[s] ?? s },
    intent: 'order',
    priority: fate.priority,
    code: concept('http://hl7.org/fhir/CodeSystem/task-code', 'fulfill', 'Fulfill the focal request'),
    focus: ref('ServiceRequest', srId),
    for: ctx.patientRef,
    ...(parties.encounterId ? { encounter: ref('Encounter', parties.encounterId) } : {}),
    authoredOn: dateTime(t.ordered),
    requester: parties.requester,
    owner: parties.owner,
  });
  const tasks: Task[] = [];
  if (fate.duplicate) {
    tasks.push({ ...base(ctx.nextId('task'), 'entered-in-error'), lastModified: dateTime(Math.min(ctx.now, t.ordered + HOUR)), statusReason: { text: 'Created twice by mistake' } });
  }
  const task: Task = { ...base(ctx.nextId('task'), status), lastModified: dateTime(lastModified) };
  if (start !== undefined || end !== undefined) task.executionPeriod = { ...(start !== undefined ? { start: dateTime(start) } : {}), ...(end !== undefined ? { end: dateTime(end) } : {}) };
  if (status === 'rejected') task.statusReason = { text: 'Not indicated after triage' };
  if (status === 'failed') task.statusReason = { text: 'Patient unfit for the procedure on the day' };
  if (status === 'completed' && parties.procedureId) {
    task.output = [{ type: { coding: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Procedure', display: 'Procedure' }], text: 'result' }, valueReference: ref('Procedure', parties.procedureId) }];
  }
  tasks.push(task);
  return tasks;
}
