// Appointment/$hold: puts the free Slots of a proposal on hold (busy-tentative) for a while, with a
// token the booking presents. A hold lapses by itself: its expiry is stored on the Slot and every
// check compares it with the clock (workflow/scheduling.ts, $find), so no job has to release it.
import { randomUUID } from 'node:crypto';
import type { Appointment, Slot } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { updateIn } from '../../interactions/crud';
import { nextInstant, prepareVersion } from '../../interactions/resource-write';
import { assertMayCreate, serverView } from '../../access/data-access';
import { HOLD_EXTENSION, slotHold, slotProblem } from '../../workflow/scheduling';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule } from '../types';
import { futureSlots, slotIdsOf } from './common';

/** Longest hold a call may ask for (the default is NIMBUS_SLOT_HOLD, 5 minutes). */
const MAX_HOLD_SECONDS = 86400;

export const holdOperation: OperationModule = {
  definition: nimbusOperationDefinition('appointment-hold'),
  affectsState: true,
  handler: hold,
  example: {
    setup: [{ resourceType: 'Slot', id: 'hold-example', schedule: { reference: 'Schedule/x' }, status: 'free', start: '2999-01-01T09:00:00Z', end: '2999-01-01T09:30:00Z' }],
    level: 'type',
    resourceType: 'Appointment',
    parameters: {
      resourceType: 'Parameters',
      parameter: [{ name: 'appointment', resource: { resourceType: 'Appointment', status: 'proposed', slot: [{ reference: 'Slot/hold-example' }], participant: [{ status: 'needs-action', type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }] }] } }],
    },
  },
};

function holdSeconds(call: OperationCall, ctx: RequestContext): number {
  const seconds = call.params.number('duration') ?? ctx.services.config.slotHoldMs / 1000;
  if (seconds > MAX_HOLD_SECONDS) throw errors.badRequest(`duration ${seconds} s is longer than the longest hold (${MAX_HOLD_SECONDS} s)`, ['duration']);
  return seconds;
}

async function hold(call: OperationCall, ctx: RequestContext) {
  const appointment = call.params.resource<Appointment>('appointment');
  if (!appointment || appointment.resourceType !== 'Appointment') throw errors.badRequest('the appointment parameter must be an Appointment', ['appointment']);
  const ids = slotIdsOf(appointment.slot ?? [], 'Appointment.slot');
  const core = ctx.services.core;
  const now = core.clock.now().getTime();
  const token = randomUUID();
  const expires = new Date(now + holdSeconds(call, ctx) * 1000).toISOString();
  // A hold is made for the Appointment it proposes: only a caller who may create that Appointment
  // (a patient: for themselves) may hold Slots for it. The Slots are then marked with the server's
  // rights (a patient may not write Slots, which are shared), as a booking marks them busy.
  if (!ctx.data.policy.unrestricted) assertMayCreate(ctx.data.policy, prepareVersion(core, appointment, 'hold', 1, nextInstant(core)).version);
  await ctx.data.transaction(async (tx) => {
    // Every Slot is checked (under its lock) before any is written: all are held or none.
    const slots = await futureSlots(tx, ids, now);
    for (const { current, slot } of slots) {
      const lapsed = slot.status === 'busy-tentative' && (slotHold(slot)?.expires ?? 0) <= now;
      if (slot.status !== 'free' && !lapsed) throw slotProblem(current.id, `is ${slot.status}; hold a free Slot`, 409);
    }
    for (const { current, slot } of slots) {
      const others = (slot.extension ?? []).filter((e) => e.url !== HOLD_EXTENSION);
      const held: Slot = {
        ...slot,
        status: 'busy-tentative',
        extension: [...others, { url: HOLD_EXTENSION, extension: [{ url: 'token', valueString: token }, { url: 'expires', valueInstant: expires }] }],
      };
      await updateIn(serverView(tx), core, 'Slot', current.id, held);
    }
  });
  const proposal: Appointment = {
    ...appointment,
    status: 'proposed',
    extension: [...(appointment.extension ?? []).filter((e) => e.url !== HOLD_EXTENSION), { url: HOLD_EXTENSION, extension: [{ url: 'token', valueString: token }, { url: 'expires', valueInstant: expires }] }],
  };
  return { out: { return: proposal } };
}
