// Appointment/[id]/$cancel: status cancelled with the reason; the write frees its Slots
// (workflow/scheduling.ts).
import type { Appointment } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { updateIn } from '../../interactions/crud';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule } from '../types';

const FINAL = new Set(['cancelled', 'noshow', 'entered-in-error', 'fulfilled']);

export const cancelOperation: OperationModule = {
  definition: nimbusOperationDefinition('appointment-cancel'),
  affectsState: true,
  handler: cancel,
  example: {
    setup: [{ resourceType: 'Appointment', id: 'cancel-example', status: 'proposed', participant: [{ status: 'needs-action', type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }] }] }],
    level: 'instance',
    resourceType: 'Appointment',
    id: 'cancel-example',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'patient request' }] },
  },
};

async function cancel(call: OperationCall, ctx: RequestContext) {
  const id = call.target.id!;
  const reason = call.params.string('reason');
  const core = ctx.services.core;
  const outcome = await ctx.data.transaction(async (tx) => {
    // Read inside the transaction (and, on MongoDB without transactions, under the resource's lock).
    const current = await tx.read('Appointment', id);
    if (!current || current.deleted || !current.json) throw errors.notFound('Appointment', id);
    const appointment = JSON.parse(current.json) as Appointment;
    if (FINAL.has(appointment.status)) throw errors.conflict(`Appointment/${id} is ${appointment.status}; only an Appointment that is not yet over can be cancelled`);
    const next: Appointment = { ...appointment, status: 'cancelled', ...(reason ? { cancelationReason: { text: reason } } : {}) };
    return updateIn(tx, core, 'Appointment', id, next);
  });
  return { out: { return: outcome.resource } };
}
