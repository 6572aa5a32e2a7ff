// Token parameters whose codes have an order of their own, and sort by it rather than by the
// alphabet: request priority (routine < urgent < asap < stat, the order of the R4 request-priority
// codes), so that a work queue's `_sort=-priority` puts stat first. Both engines sort by these
// ranks: MongoDB through the indexer's sort entries, SQLite through compile.ts's sort expression.

const REQUEST_PRIORITY_RANK: Readonly<Record<string, string>> = { routine: '1', urgent: '2', asap: '3', stat: '4' };
const REQUEST_PRIORITY_TYPES = new Set(['CommunicationRequest', 'MedicationRequest', 'RequestGroup', 'ServiceRequest', 'Task']);

/** Code → sort key for a ranked token parameter of `type`, or undefined (sort by code). Codes
 * outside the ranking keep themselves as key and sort after the ranked ones. */
export function tokenSortRanks(type: string, code: string): Readonly<Record<string, string>> | undefined {
  return code === 'priority' && REQUEST_PRIORITY_TYPES.has(type) ? REQUEST_PRIORITY_RANK : undefined;
}
