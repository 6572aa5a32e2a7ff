// The state machines of a service order (FHIR Workflow: a ServiceRequest fulfilled through Tasks),
// as data, without I/O: which Task status may follow which (our reading of the R4 Task state
// diagram, task.html#statemachine), which ServiceRequest status may follow which, and the status a
// ServiceRequest takes from the statuses of its Tasks. src/workflow/task.ts applies them on writes.
// See docs/service-orders.md.
import type { ServiceRequest, Task } from '@medplum/fhirtypes';

export type TaskStatus = Task['status'];
export type ServiceRequestStatus = ServiceRequest['status'];

/** A Task in one of these states is finished: it cannot be left. */
export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'rejected', 'cancelled', 'entered-in-error'];

/**
 * The next states of each non-final Task state. `requested → received → accepted → in-progress` is
 * the path with an explicit claim by a performer; `ready` skips it when assignment is a given.
 * Every non-final state may be cancelled, or marked entered-in-error (recorded by mistake).
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  draft: ['requested', 'ready', 'cancelled', 'entered-in-error'],
  requested: ['received', 'accepted', 'rejected', 'ready', 'cancelled', 'entered-in-error'],
  received: ['accepted', 'rejected', 'cancelled', 'entered-in-error'],
  accepted: ['ready', 'in-progress', 'cancelled', 'entered-in-error'],
  ready: ['in-progress', 'cancelled', 'entered-in-error'],
  'in-progress': ['on-hold', 'completed', 'failed', 'cancelled', 'entered-in-error'],
  'on-hold': ['in-progress', 'failed', 'cancelled', 'entered-in-error'],
  completed: [],
  failed: [],
  rejected: [],
  cancelled: [],
  'entered-in-error': [],
};

/** States in which someone has claimed the Task: it must name its performer (Task.owner). */
export const OWNED_TASK_STATUSES: readonly TaskStatus[] = ['received', 'accepted', 'in-progress', 'on-hold', 'completed', 'failed'];

export const FINAL_REQUEST_STATUSES: readonly ServiceRequestStatus[] = ['completed', 'revoked', 'entered-in-error'];

/** The next states of each ServiceRequest state (request-status); `unknown` may become anything. */
export const REQUEST_TRANSITIONS: Readonly<Record<ServiceRequestStatus, readonly ServiceRequestStatus[]>> = {
  draft: ['active', 'on-hold', 'revoked', 'entered-in-error', 'unknown'],
  active: ['on-hold', 'completed', 'revoked', 'entered-in-error', 'unknown'],
  'on-hold': ['active', 'completed', 'revoked', 'entered-in-error', 'unknown'],
  unknown: ['draft', 'active', 'on-hold', 'completed', 'revoked', 'entered-in-error'],
  completed: [],
  revoked: [],
  'entered-in-error': [],
};

export const isFinalTask = (s: TaskStatus | undefined): boolean => !!s && FINAL_TASK_STATUSES.includes(s);
export const isFinalRequest = (s: ServiceRequestStatus | undefined): boolean => !!s && FINAL_REQUEST_STATUSES.includes(s);

/** Why `from → to` is refused, or undefined when it is allowed (staying put is always allowed). */
export function refusedTransition<S extends string>(table: Readonly<Record<S, readonly S[]>>, from: S, to: S): string | undefined {
  if (from === to) return undefined;
  const next = table[from];
  if (!next) return undefined; // an unknown current status (not R4): the schema check owns that
  if (next.includes(to)) return undefined;
  if (!next.length) return `'${from}' is a final state and cannot be left`;
  return `allowed next states from '${from}': ${next.join(', ')}`;
}

/**
 * The status a ServiceRequest takes from its Tasks' statuses (the one being written included):
 * - an open Task (not final) keeps the order active, or on-hold when every open Task is on-hold;
 *   draft Tasks alone leave it as it is;
 * - when every Task is final: completed if one completed; revoked if they were all rejected or
 *   cancelled; a failed Task leaves the order active, to be retried by a new Task or revoked by
 *   its requester.
 * A final ServiceRequest never changes here (it cannot be left).
 */
export function requestStatusFromTasks(current: ServiceRequestStatus, tasks: readonly TaskStatus[]): ServiceRequestStatus {
  if (isFinalRequest(current)) return current;
  const counted = tasks.filter((s) => s !== 'entered-in-error');
  if (!counted.length) return current;
  const open = counted.filter((s) => !isFinalTask(s));
  if (open.length) {
    if (open.every((s) => s === 'draft')) return current;
    if (open.every((s) => s === 'on-hold' || s === 'draft')) return 'on-hold';
    return 'active';
  }
  if (counted.includes('completed')) return 'completed';
  if (counted.includes('failed')) return current === 'draft' || current === 'on-hold' ? 'active' : current;
  return 'revoked';
}

const LABELS: Record<TaskStatus, string> = {
  draft: 'Draft',
  requested: 'Requested',
  received: 'Received',
  accepted: 'Accepted',
  rejected: 'Rejected',
  ready: 'Ready',
  cancelled: 'Cancelled',
  'in-progress': 'In progress',
  'on-hold': 'On hold',
  failed: 'Failed',
  completed: 'Completed',
  'entered-in-error': 'Entered in error',
};

/** Display text for a Task status (businessStatus the server fills in). */
export const taskStatusLabel = (s: TaskStatus): string => LABELS[s] ?? s;
