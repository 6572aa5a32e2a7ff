// Appointment/$book: books an Appointment and its Slots in one step (workflow/scheduling.ts makes
// the Slots busy as part of the Appointment's write; here: the checks that only a booking makes).
import type { Appointment } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { createIn } from '../../interactions/crud';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule } from '../types';
import { appointmentBody, futureSlots, slotIdsOf } from './common';

export const bookOperation: OperationModule = {
  definition: nimbusOperationDefinition('appointment-book'),
  affectsState: true,
  handler: book,
  example: {
    setup: [{ resourceType: 'Slot', id: 'book-example', schedule: { reference: 'Schedule/x' }, status: 'free', start: '2999-01-01T09:00:00Z', end: '2999-01-01T09:30:00Z' }],
    level: 'type',
    resourceType: 'Appointment',
    parameters: {
      resourceType: 'Parameters',
      parameter: [{ name: 'appointment', resource: { resourceType: 'Appointment', status: 'proposed', slot: [{ reference: 'Slot/book-example' }], participant: [{ status: 'accepted', type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }] }] } }],
    },
  },
};

async function book(call: OperationCall, ctx: RequestContext) {
  const appointment = call.params.resource<Appointment>('appointment');
  if (!appointment || appointment.resourceType !== 'Appointment') throw errors.badRequest('the appointment parameter must be an Appointment', ['appointment']);
  const ids = slotIdsOf(appointment.slot ?? [], 'Appointment.slot');
  const core = ctx.services.core;
  const outcome = await ctx.data.transaction(async (tx) => {
    const slots = await futureSlots(tx, ids, core.clock.now().getTime());
    // A booked Appointment has a start and an end (app-3): the Slots' when the client gave none.
    const body = appointmentBody(appointment, 'booked');
    body.start ??= slots.map((s) => s.slot.start).sort()[0];
    body.end ??= slots.map((s) => s.slot.end).sort().reverse()[0];
    return createIn(tx, core, 'Appointment', body);
  });
  return { out: { return: outcome.resource } };
}
