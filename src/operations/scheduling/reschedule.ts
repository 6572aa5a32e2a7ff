// Appointment/[id]/$reschedule: the same Appointment on other Slots. One write of the Appointment:
// workflow/scheduling.ts takes the new Slots before it frees the old ones, and refuses before
// writing anything when a new Slot cannot be taken.
import type { Appointment, Reference } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { updateIn } from '../../interactions/crud';
import { HOLDING_STATUSES } from '../../workflow/scheduling';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule } from '../types';
import { futureSlots, slotIdsOf } from './common';

export const rescheduleOperation: OperationModule = {
  definition: nimbusOperationDefinition('appointment-reschedule'),
  affectsState: true,
  handler: reschedule,
  example: {
    setup: [
      { resourceType: 'Slot', id: 'reschedule-a', schedule: { reference: 'Schedule/x' }, status: 'free', start: '2999-01-01T09:00:00Z', end: '2999-01-01T09:30:00Z' },
      { resourceType: 'Slot', id: 'reschedule-b', schedule: { reference: 'Schedule/x' }, status: 'free', start: '2999-01-02T09:00:00Z', end: '2999-01-02T09:30:00Z' },
      { resourceType: 'Appointment', id: 'reschedule-example', status: 'booked', start: '2999-01-01T09:00:00Z', end: '2999-01-01T09:30:00Z', slot: [{ reference: 'Slot/reschedule-a' }], participant: [{ status: 'accepted', type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }] }] },
    ],
    level: 'instance',
    resourceType: 'Appointment',
    id: 'reschedule-example',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'slot', valueReference: { reference: 'Slot/reschedule-b' } }] },
  },
};

async function reschedule(call: OperationCall, ctx: RequestContext) {
  const id = call.target.id!;
  const ids = slotIdsOf(call.params.all<Reference>('slot'), 'slot');
  const core = ctx.services.core;
  const outcome = await ctx.data.transaction(async (tx) => {
    const current = await tx.read('Appointment', id);
    if (!current || current.deleted || !current.json) throw errors.notFound('Appointment', id);
    const appointment = JSON.parse(current.json) as Appointment;
    if (!(HOLDING_STATUSES as readonly string[]).includes(appointment.status) || appointment.status === 'fulfilled') {
      throw errors.conflict(`Appointment/${id} is ${appointment.status}; only a booked Appointment can be rescheduled`);
    }
    const slots = await futureSlots(tx, ids, core.clock.now().getTime());
    const start = slots.map((s) => s.slot.start).sort()[0];
    const end = slots.map((s) => s.slot.end).sort().reverse()[0];
    return updateIn(tx, core, 'Appointment', id, { ...appointment, slot: ids.map((s) => ({ reference: `Slot/${s}` })), start, end });
  });
  return { out: { return: outcome.resource } };
}
