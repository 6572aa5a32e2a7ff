// Service order rules (FHIR Workflow: a ServiceRequest fulfilled through Tasks whose `focus` is
// it), applied to every write of a Task or ServiceRequest whatever the door: plain
// create/update/PATCH, conditional writes and Bundle entries all reach the engine through
// writeWithRules (src/workflow/scheduling.ts), which hands these two types to this module.
//
// - A Task moves only along the Task state machine (order-states.ts); an illegal move is 409 naming
//   the allowed next states, and a final state cannot be left.
// - The server maintains what follows from a move: lastModified, authoredOn, executionPeriod
//   (start on in-progress, end on a final state), businessStatus (unless the client sets a new
//   one), owner required once claimed, for/requester taken from the order, and on completion the
//   order's results (resources whose basedOn is the ServiceRequest) linked in Task.output.
// - The ServiceRequest's status follows its Tasks (requestStatusFromTasks); revoking an order
//   cancels its open Tasks, and it cannot be completed while a Task is open.
//
// Race safety: the ServiceRequest is read before its Tasks are looked at (on MongoDB without
// transactions that read takes its lock until the transaction ends; SQLite runs one writer at a
// time), so two Tasks of one order changing at once are decided one after the other.
import type { CodeableConcept, Resource, ServiceRequest, Task, TaskOutput } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/errors';
import { nextInstant, prepareVersion } from '../interactions/resource-write';
import type { Services } from '../interactions/services';
import type { Predicate } from '../search/plan';
import type { EngineTransaction, ResourceVersion, VersionWrite } from '../storage/engine';
import {
  isFinalRequest,
  isFinalTask,
  OWNED_TASK_STATUSES,
  refusedTransition,
  REQUEST_TRANSITIONS,
  requestStatusFromTasks,
  TASK_TRANSITIONS,
  taskStatusLabel,
  type TaskStatus,
} from './order-states';

export const BUSINESS_STATUS_SYSTEM = 'http://nimbus-fhir.org/fhir/CodeSystem/task-business-status';
/** Results a completed Task links in Task.output: types whose `based-on` can name a ServiceRequest. */
const RESULT_TYPES = ['DiagnosticReport', 'Procedure', 'Observation'] as const;
const MAX_LINKED_RESULTS = 50;
const MAX_TASKS_PER_ORDER = 1000;

const parse = <T>(v: { json?: string; deleted: boolean } | undefined): T | undefined => (v && !v.deleted && v.json ? (JSON.parse(v.json) as T) : undefined);

function problem(status: 409 | 422, expression: string, diagnostics: string): FhirError {
  return new FhirError(status, status === 409 ? 'CONFLICT' : 'BUSINESS_RULE', [
    { severity: 'error', code: status === 409 ? 'conflict' : 'business-rule', diagnostics, expression: [expression] },
  ]);
}

/** The ServiceRequest id a Task is for: its focus when that is a ServiceRequest. */
function orderId(task: Task | undefined): string | undefined {
  return /^ServiceRequest\/([A-Za-z0-9\-.]{1,64})$/.exec(task?.focus?.reference ?? '')?.[1];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Stores `resource` as the version after `current`, through the validator and indexer. */
async function rewrite(tx: EngineTransaction, services: Services, current: ResourceVersion, resource: Resource): Promise<void> {
  const { version } = prepareVersion(services, resource, current.id, current.versionId + 1, nextInstant(services, current.lastUpdated));
  await tx.write(version);
}

/** The version as amended by the rules: re-validated and re-indexed in place, so that every door
 * answers (and stores) what the rules made of it. */
function amend(services: Services, version: VersionWrite, resource: Resource): Resource {
  const rebuilt = prepareVersion(services, resource, version.id, version.versionId, version.lastUpdated);
  Object.assign(version, rebuilt.version);
  return rebuilt.resource;
}

/** The Tasks whose focus is the order, other than `exceptId`. */
async function tasksOf(tx: EngineTransaction, requestId: string, exceptId: string): Promise<Array<{ current: ResourceVersion; task: Task }>> {
  const where: Predicate[] = [{ kind: 'reference', param: 'focus', type: 'ServiceRequest', id: requestId }];
  const found = await tx.search({ resourceTypes: ['Task'], where, sort: [], count: MAX_TASKS_PER_ORDER, total: 'none', include: [], revinclude: [] });
  return found.matches
    .filter((m) => m.id !== exceptId && !m.deleted)
    .map((m) => ({ current: m, task: parse<Task>(m)! }))
    .filter((x) => x.task);
}

/** Writes a Task after the service order rules; returns the Task as stored when the rules changed it. */
export async function writeTask(tx: EngineTransaction, services: Services, version: VersionWrite): Promise<Resource | undefined> {
  const before = parse<Task>(await tx.read('Task', version.id));
  const after = parse<Task>(version);
  if (!after) {
    await tx.write(version); // a delete: the order keeps the status it has
    return undefined;
  }
  const where = `Task/${version.id}`;
  const moved = !before || before.status !== after.status;
  if (before && before.status !== after.status) {
    const why = refusedTransition(TASK_TRANSITIONS, before.status, after.status);
    if (why) throw problem(409, 'Task.status', `${where} cannot go from '${before.status}' to '${after.status}': ${why}`);
  }
  // A focus may be given later, but once written it names the request this Task works on.
  if (before?.focus?.reference && before.focus.reference !== after.focus?.reference) {
    throw problem(409, 'Task.focus', `${where}: Task.focus cannot change (was ${before.focus.reference}); cancel this Task and create a new one for the other request`);
  }
  const now = version.lastUpdated; // the instant of this version: lastModified agrees with meta
  // A create is recorded as given (an import of history, a client's complete Task), completed only
  // where something is missing; a move is where the server maintains what follows from it.
  const transition = !!before && before.status !== after.status;
  const task: Task = { ...after, authoredOn: after.authoredOn ?? before?.authoredOn ?? now };
  // A PUT that leaves out the start of work keeps the recorded one.
  if (before?.executionPeriod?.start && !task.executionPeriod?.start) task.executionPeriod = { ...task.executionPeriod, start: before.executionPeriod.start };

  const requestId = orderId(after);
  // Read first: the order's lock is taken before its Tasks are looked at.
  const requestVersion = requestId ? await tx.read('ServiceRequest', requestId) : undefined;
  // A focus on an order this server does not hold (a reference to another system, or an example
  // whose order was not loaded) leaves the Task to its own state machine.
  const request = parse<ServiceRequest>(requestVersion);
  if (request) {
    if (isFinalRequest(request.status) && moved && !isFinalTask(after.status)) {
      throw problem(409, 'Task.focus', `${where}: ServiceRequest/${requestId} is ${request.status}, so no Task of it can be ${after.status}; place a new order`);
    }
    if (task.for?.reference && request.subject?.reference && task.for.reference !== request.subject.reference) {
      throw problem(422, 'Task.for', `${where}: Task.for (${task.for.reference}) is not the subject of ServiceRequest/${requestId} (${request.subject.reference})`);
    }
    task.for = task.for ?? request.subject;
    task.requester = task.requester ?? request.requester;
  }
  if (OWNED_TASK_STATUSES.includes(task.status) && !task.owner) {
    throw problem(422, 'Task.owner', `${where} is ${task.status}, which means a performer has claimed it: set Task.owner to that performer`);
  }
  if (transition) {
    task.lastModified = now;
    // The server's businessStatus follows the status unless the client sets its own with the move.
    if (!task.businessStatus || same(task.businessStatus, before!.businessStatus)) task.businessStatus = businessStatus(task.status);
    if (task.status === 'in-progress' && !task.executionPeriod?.start) task.executionPeriod = { ...task.executionPeriod, start: now };
    if (isFinalTask(task.status) && !task.executionPeriod?.end) task.executionPeriod = { ...task.executionPeriod, end: now };
    if (task.status === 'completed' && request) {
      const output = await linkResults(tx, requestId!, task.output ?? []);
      if (output.length) task.output = output;
    }
  }
  const stored = same(task, after) ? undefined : amend(services, version, task);
  await tx.write(version);
  // The order follows its Tasks. A Task created already final records history (an import) and
  // does not close its order; creating an open one, or moving one, does.
  if (request && requestVersion && (transition || (!before && !isFinalTask(task.status)))) {
    const statuses: TaskStatus[] = [...(await tasksOf(tx, requestId!, version.id)).map((x) => x.task.status), task.status];
    const next = requestStatusFromTasks(request.status, statuses);
    if (next !== request.status) await rewrite(tx, services, requestVersion, { ...request, status: next });
  }
  return stored;
}

function businessStatus(status: TaskStatus): CodeableConcept {
  return { coding: [{ system: BUSINESS_STATUS_SYSTEM, code: status, display: taskStatusLabel(status) }], text: taskStatusLabel(status) };
}

/** Task.output plus a link to each result of the order not yet linked. */
async function linkResults(tx: EngineTransaction, requestId: string, output: TaskOutput[]): Promise<TaskOutput[]> {
  const linked = new Set(output.map((o) => o.valueReference?.reference).filter((r): r is string => !!r));
  const added: TaskOutput[] = [];
  for (const type of RESULT_TYPES) {
    const where: Predicate[] = [{ kind: 'reference', param: 'based-on', type: 'ServiceRequest', id: requestId }];
    const found = await tx.search({ resourceTypes: [type], where, sort: [], count: MAX_LINKED_RESULTS, total: 'none', include: [], revinclude: [] });
    for (const m of found.matches) {
      const reference = `${type}/${m.id}`;
      if (m.deleted || linked.has(reference) || linked.size + added.length >= MAX_LINKED_RESULTS) continue;
      linked.add(reference);
      added.push({ type: { coding: [{ system: 'http://hl7.org/fhir/resource-types', code: type, display: type }], text: 'result' }, valueReference: { reference } });
    }
  }
  return [...output, ...added];
}

/** Writes a ServiceRequest after the order rules: its own state machine, no completion while a
 * Task is open, and revoking (or entering in error) closes its open Tasks with it. */
export async function writeServiceRequest(tx: EngineTransaction, services: Services, version: VersionWrite): Promise<Resource | undefined> {
  const before = parse<ServiceRequest>(await tx.read('ServiceRequest', version.id));
  const after = parse<ServiceRequest>(version);
  if (!after || !before || before.status === after.status) {
    await tx.write(version);
    return undefined;
  }
  const where = `ServiceRequest/${version.id}`;
  const why = refusedTransition(REQUEST_TRANSITIONS, before.status, after.status);
  if (why) throw problem(409, 'ServiceRequest.status', `${where} cannot go from '${before.status}' to '${after.status}': ${why}`);
  const open = (await tasksOf(tx, version.id, '')).filter((x) => !isFinalTask(x.task.status));
  if (after.status === 'completed' && open.length) {
    const names = open.slice(0, 5).map((x) => `Task/${x.current.id} (${x.task.status})`).join(', ');
    throw problem(409, 'ServiceRequest.status', `${where} cannot be completed while its Tasks are open: ${names}; complete or cancel them first`);
  }
  await tx.write(version);
  if (after.status === 'revoked' || after.status === 'entered-in-error') {
    const closing: TaskStatus = after.status === 'revoked' ? 'cancelled' : 'entered-in-error';
    const now = version.lastUpdated;
    const reason: CodeableConcept = { text: `${where} was ${after.status === 'revoked' ? 'revoked' : 'entered in error'}` };
    for (const { current, task } of open) {
      await rewrite(tx, services, current, {
        ...task,
        status: closing,
        statusReason: task.statusReason ?? reason,
        businessStatus: businessStatus(closing),
        lastModified: now,
        executionPeriod: { ...task.executionPeriod, end: task.executionPeriod?.end ?? now },
      } as Task);
    }
  }
  return undefined;
}
