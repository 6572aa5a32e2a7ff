// Booking rules for Slot and Appointment (Argonaut Scheduling style), applied to every write of an
// Appointment or Slot whatever the door: plain create/update/delete/PATCH, conditional writes,
// Bundle entries and the $book/$cancel/$reschedule/$hold operations all reach the engine through
// writeWithRules (src/interactions). The truth of "who holds a Slot" is the active Appointment
// that references it; Slot.status mirrors it.
//
// Race safety: the contested Slot is read first (on MongoDB without transactions that read takes
// the Slot's lock, held until the Slot is written — see storage/mongo/transaction-views.ts; on
// SQLite transactions run one at a time), the Appointment is written next and the Slot last, so a
// second booker waiting for the Slot already sees the first booker's Appointment and gets 409.
// See docs/scheduling.md.
import type { Appointment, Reference, Resource, Slot } from '@medplum/fhirtypes';
import { errors, FhirError } from '../fhir/errors';
import type { EngineTransaction, ResourceVersion, VersionWrite } from '../storage/engine';
import type { Predicate } from '../search/plan';
import { nextInstant, prepareVersion } from '../interactions/resource-write';
import { serverView } from '../access/data-access';
import type { Services } from '../interactions/services';
import { writeServiceRequest, writeTask } from './task';
import { checkMeasureWrite } from './measure-rules';
import { checkQuestionnaireResponseWrite } from './questionnaire-response';

/** Appointment statuses that hold their Slots. */
export const HOLDING_STATUSES = ['booked', 'arrived', 'checked-in', 'fulfilled'] as const;
export const HOLD_EXTENSION = 'http://nimbus-fhir.org/fhir/StructureDefinition/slot-hold';

const slotIds = (a: Appointment | undefined): string[] => {
  if (!a || !(HOLDING_STATUSES as readonly string[]).includes(a.status)) return [];
  const ids = (a.slot ?? []).map((r: Reference) => /^Slot\/([A-Za-z0-9\-.]{1,64})$/.exec(r.reference ?? '')?.[1]).filter((x): x is string => !!x);
  return [...new Set(ids)].sort(); // one lock order for everyone: no deadlock between two bookings
};

const parse = <T>(v: { json?: string; deleted: boolean } | undefined): T | undefined => (v && !v.deleted && v.json ? (JSON.parse(v.json) as T) : undefined);

/** The hold on a Slot: its token and when it lapses (epoch ms). */
export function slotHold(slot: Slot): { token: string; expires: number } | undefined {
  const ext = slot.extension?.find((e) => e.url === HOLD_EXTENSION);
  const token = ext?.extension?.find((e) => e.url === 'token')?.valueString;
  const expires = Date.parse(ext?.extension?.find((e) => e.url === 'expires')?.valueInstant ?? '');
  return token && Number.isFinite(expires) ? { token, expires } : undefined;
}

/** The hold token an Appointment carries (from $hold), if any. */
export function appointmentHoldToken(a: Appointment): string | undefined {
  return a.extension?.find((e) => e.url === HOLD_EXTENSION)?.extension?.find((e) => e.url === 'token')?.valueString;
}

/** Active Appointments (other than `exceptId`) that reference the Slot. */
async function holders(tx: EngineTransaction, slotId: string, exceptId: string): Promise<string[]> {
  const where: Predicate[] = [
    { kind: 'reference', param: 'slot', type: 'Slot', id: slotId },
    { kind: 'or', any: HOLDING_STATUSES.map((code): Predicate => ({ kind: 'token', param: 'status', code })) },
  ];
  const found = await tx.search({ resourceTypes: ['Appointment'], where, sort: [], count: 10, total: 'none', include: [], revinclude: [] });
  return found.matches.map((m) => m.id).filter((id) => id !== exceptId);
}

async function writeSlot(tx: EngineTransaction, services: Services, current: ResourceVersion, slot: Slot): Promise<void> {
  const { version } = prepareVersion(services, slot, current.id, current.versionId + 1, nextInstant(services, current.lastUpdated));
  await tx.write(version);
}

function freed(slot: Slot): Slot {
  const { extension, ...rest } = slot;
  const kept = (extension ?? []).filter((e) => e.url !== HOLD_EXTENSION);
  return { ...rest, ...(kept.length ? { extension: kept } : {}), status: 'free' };
}

/**
 * Writes `version` after applying the workflow rules (booking here; service orders in ./task);
 * every interaction writes through here. For other resource types it is just `tx.write`. A rule
 * may amend the version (server-maintained elements): it is then changed in place and the amended
 * resource returned, for the caller to answer with.
 */
export async function writeWithRules(tx: EngineTransaction, services: Services, version: VersionWrite): Promise<Resource | undefined> {
  if (version.resourceType === 'Task') return writeTask(tx, services, version);
  if (version.resourceType === 'ServiceRequest') return writeServiceRequest(tx, services, version);
  if (version.resourceType === 'Appointment') return void (await writeAppointment(tx, services, version));
  if (version.resourceType === 'Slot') await checkSlotWrite(tx, version);
  checkMeasureWrite(services, version);
  if (version.resourceType === 'QuestionnaireResponse') await checkQuestionnaireResponseWrite(tx, services, version);
  await tx.write(version);
  return undefined;
}

/**
 * The caller's Appointment write goes through the caller's door (`tx`); the bookkeeping around it
 * — which other Appointments hold a Slot, and the Slot's status — runs with the server's rights
 * (`serverView`): a patient must not double-book a Slot another patient's hidden Appointment
 * holds, and a patient who may not write Slots still marks the one they book busy. Nothing read
 * that way is answered to the caller (a conflict names the Slot, not the holder).
 */
async function writeAppointment(tx: EngineTransaction, services: Services, version: VersionWrite): Promise<void> {
  const rules = serverView(tx);
  const before = parse<Appointment>(await tx.read('Appointment', version.id));
  // An Appointment the caller cannot see answers as absent before any Slot is judged, so the
  // answer never depends on which Slots a hidden Appointment holds. (Only a guarded transaction
  // can hide one: an unrestricted caller's booking makes no extra read.)
  if (!before && rules !== tx) {
    const stored = await rules.read('Appointment', version.id);
    if (stored && !stored.deleted) throw errors.notFound('Appointment', version.id);
  }
  const after = parse<Appointment>(version);
  const held = slotIds(before);
  const wanted = slotIds(after);
  const now = services.clock.now().getTime();
  const claims: Array<{ current: ResourceVersion; slot: Slot }> = [];
  // Claims first (new slot taken before the old one is freed): any refusal leaves everything as it was.
  for (const id of wanted.filter((s) => !held.includes(s))) {
    const current = await rules.read('Slot', id);
    const slot = parse<Slot>(current);
    if (!current || !slot) throw errors.conflict(`Slot/${id} does not exist; book a Slot found with Appointment/$find`);
    // A Slot that has ended is history: a plain write records it as given (imports of past
    // visits) without claiming it; $book and $reschedule refuse it before writing.
    if (Date.parse(slot.end) <= now) continue;
    // With all-or-nothing transactions a free Slot has no holder: every write that makes an
    // Appointment hold a Slot makes the Slot busy in the same transaction, and a Slot with a holder
    // cannot be written free (checkSlotWrite). So there the search for holders — on SQLite a round
    // trip to the writer thread that the whole write queue waits for — is made only for a Slot that
    // is not free. Without transactions a crash between the Appointment's write and the Slot's can
    // leave a held Slot free: the search is always made. (The holder is never named: it may be
    // another patient's Appointment.)
    const others = slot.status === 'free' && services.atomicWrites ? [] : await holders(rules, id, version.id);
    if (others.length) throw slotProblem(id, 'is already booked; choose another Slot', 409);
    const hold = slotHold(slot);
    if (slot.status === 'busy-tentative' && hold && hold.expires > now && hold.token !== (after && appointmentHoldToken(after))) {
      throw slotProblem(id, 'is held by someone else; choose another Slot or try again after the hold lapses', 409);
    }
    if (slot.status === 'busy-unavailable' || slot.status === 'entered-in-error') throw slotProblem(id, `is ${slot.status} and cannot be booked`, 409);
    claims.push({ current, slot });
  }
  await tx.write(version);
  for (const { current, slot } of claims) {
    const { extension, ...rest } = slot;
    const kept = (extension ?? []).filter((e) => e.url !== HOLD_EXTENSION);
    await writeSlot(rules, services, current, { ...rest, ...(kept.length ? { extension: kept } : {}), status: 'busy' });
  }
  // Then the Slots this Appointment no longer holds are freed (unless another holder remains).
  for (const id of held.filter((s) => !wanted.includes(s))) {
    const current = await rules.read('Slot', id);
    const slot = parse<Slot>(current);
    if (!current || !slot || slot.status === 'free') continue;
    if ((await holders(rules, id, version.id)).length) continue;
    await writeSlot(rules, services, current, freed(slot));
  }
}

/** A booked Slot changes only through its Appointment. */
async function checkSlotWrite(tx: EngineTransaction, version: VersionWrite): Promise<void> {
  const next = parse<Slot>(version);
  if (next?.status === 'busy') return;
  const others = await holders(tx, version.id, '');
  if (others.length) {
    throw slotProblem(version.id, `is booked by Appointment/${others[0]}; cancel or reschedule that Appointment instead of changing the Slot`, 409);
  }
}

export function slotProblem(id: string, why: string, status = 400): FhirError {
  return new FhirError(status, status === 409 ? 'CONFLICT' : 'BAD_REQUEST', [
    { severity: 'error', code: status === 409 ? 'conflict' : 'business-rule', diagnostics: `Slot/${id} ${why}`, expression: [`Slot/${id}`] },
  ]);
}
