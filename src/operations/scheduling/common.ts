// Shared by the scheduling operations ($find, $hold, $book, $cancel, $reschedule): reading the
// Slots an Appointment names and the checks every booking makes before it writes anything. The
// rules that every write obeys live in src/workflow/scheduling.ts.
import type { Appointment, Reference, Slot } from '@medplum/fhirtypes';
import { errors } from '../../fhir/errors';
import type { EngineTransaction, ResourceVersion } from '../../storage/engine';
import { slotProblem } from '../../workflow/scheduling';

export const SLOT_REF = /^Slot\/([A-Za-z0-9\-.]{1,64})$/;

/** The Slot ids of references, sorted (one lock order for every booking), or a 400 naming the bad one. */
export function slotIdsOf(refs: Array<Reference | undefined>, expression: string): string[] {
  if (!refs.length) throw errors.badRequest(`no Slot given: reference one or more Slots (Slot/[id]) in ${expression}`, [expression]);
  const ids = refs.map((r) => {
    const m = SLOT_REF.exec(r?.reference ?? '');
    if (!m) throw errors.badRequest(`'${(r?.reference ?? '').slice(0, 80)}' is not a Slot reference; use Slot/[id]`, [expression]);
    return m[1];
  });
  return [...new Set(ids)].sort();
}

/** Each Slot exists and has not ended; returns them in id order. */
export async function futureSlots(tx: EngineTransaction, ids: string[], now: number): Promise<Array<{ current: ResourceVersion; slot: Slot }>> {
  const out: Array<{ current: ResourceVersion; slot: Slot }> = [];
  for (const id of ids) {
    const current = await tx.read('Slot', id);
    if (!current || current.deleted || !current.json) throw slotProblem(id, 'does not exist; choose a Slot found with Appointment/$find', 404);
    const slot = JSON.parse(current.json) as Slot;
    if (Date.parse(slot.end) <= now) throw slotProblem(id, `ended at ${slot.end}; choose a Slot in the future`);
    out.push({ current, slot });
  }
  return out;
}

/** The Appointment body to store: the client's, without server-owned fields. */
export function appointmentBody(a: Appointment, status: Appointment['status']): Appointment {
  const { id: _id, meta: _meta, ...rest } = a;
  return { ...rest, resourceType: 'Appointment', status };
}
