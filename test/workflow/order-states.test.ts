// The service-order state tables as data: every Task state is reachable from draft, final states
// have no way out, and the order's status derived from its Tasks.
import { FINAL_TASK_STATUSES, refusedTransition, REQUEST_TRANSITIONS, requestStatusFromTasks, TASK_TRANSITIONS, type TaskStatus } from '../../src/workflow/order-states';

describe('Task state machine', () => {
  it('reaches every state from draft, and final states have no way out', () => {
    const seen = new Set<TaskStatus>(['draft']);
    const queue: TaskStatus[] = ['draft'];
    while (queue.length) for (const next of TASK_TRANSITIONS[queue.shift()!]) if (!seen.has(next)) seen.add(next), queue.push(next);
    expect([...seen].sort()).toEqual(Object.keys(TASK_TRANSITIONS).sort());
    for (const s of FINAL_TASK_STATUSES) expect(TASK_TRANSITIONS[s]).toEqual([]);
  });

  it('explains a refusal by the allowed next states, or by finality', () => {
    expect(refusedTransition(TASK_TRANSITIONS, 'requested', 'accepted')).toBeUndefined();
    expect(refusedTransition(TASK_TRANSITIONS, 'ready', 'ready')).toBeUndefined();
    expect(refusedTransition(TASK_TRANSITIONS, 'ready', 'completed')).toBe("allowed next states from 'ready': in-progress, cancelled, entered-in-error");
    expect(refusedTransition(TASK_TRANSITIONS, 'failed', 'in-progress')).toBe("'failed' is a final state and cannot be left");
    expect(refusedTransition(REQUEST_TRANSITIONS, 'revoked', 'active')).toBe("'revoked' is a final state and cannot be left");
  });
});

describe('the order follows its Tasks', () => {
  it.each([
    ['draft', ['requested'], 'active'],
    ['draft', ['draft'], 'draft'],
    ['active', ['on-hold'], 'on-hold'],
    ['on-hold', ['on-hold', 'in-progress'], 'active'],
    ['active', ['completed', 'cancelled'], 'completed'],
    ['active', ['rejected', 'cancelled'], 'revoked'],
    ['active', ['failed', 'cancelled'], 'active'],
    ['on-hold', ['failed'], 'active'],
    ['active', ['entered-in-error'], 'active'],
    ['active', ['entered-in-error', 'completed'], 'completed'],
    ['completed', ['requested'], 'completed'],
    ['revoked', ['completed'], 'revoked'],
  ] as const)('%s with Tasks %j → %s', (current, tasks, expected) => {
    expect(requestStatusFromTasks(current, tasks)).toBe(expected);
  });
});
