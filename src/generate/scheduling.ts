/**
 * Slots and Appointments. Shared output holds a grid of free Slots in the two weeks after `now`
 * (what `$find` can offer); each patient's own Appointments carry their own Slot, placed either in
 * the past or at least 15 days ahead, so a patient's Slot never overlaps the shared free grid.
 *
 * Attendance follows a logistic model whose features are those no-show studies report as strongest:
 *   no-show  logit = −3.5 + 0.35·ln(1+lead days) + 0.6·[18 ≤ age < 35] − 0.4·[age ≥ 65] + 0.6·min(no-shows in the past year, 3)
 *   cancel   logit = −3.5 + 0.45·ln(1+lead days)
 * giving about 9–10 % no-shows and ~11 % cancellations overall (measured on 1,000 patients), higher
 * for long lead times.
 */
import type { Appointment, Slot } from '@medplum/fhirtypes';
import type { LiteralReference, PatientContext } from './context';
import { ref } from './context';
import type { Clinician, Directory } from './organizations';
import { SPECIALTY_CODES } from './organizations';
import { Random } from './random';
import { concept, SYSTEM } from './terminology';
import { ageAt, clinicTime, dateTime, DAY, MINUTE, startOfDay } from './time';

/** Days after `now` covered by the shared free-slot grid; patient-owned future slots start after it. */
export const FREE_SLOT_DAYS = 14;
const SLOT_MINUTES = 30;
const CLINIC_HOURS = [9, 10, 11, 13, 14, 15, 16];

/** Free future Slots for every bookable clinician; about a quarter of the grid is still open. */
export function* freeSlots(directory: Directory, seed: number, now: number): Generator<Slot> {
  const random = new Random('free-slots', seed);
  let n = 0;
  for (const clinician of directory.clinicians) {
    if (!clinician.scheduleId) continue;
    const [code, display] = SPECIALTY_CODES[clinician.specialty];
    for (let d = 1; d <= FREE_SLOT_DAYS; d++) {
      const day = startOfDay(now) + d * DAY;
      const weekday = new Date(day).getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      for (let minutes = 9 * 60; minutes < 17 * 60; minutes += SLOT_MINUTES) {
        if (minutes >= 12 * 60 && minutes < 13 * 60) continue; // lunch
        if (!random.chance(0.25)) continue;
        const start = day + minutes * MINUTE;
        yield {
          resourceType: 'Slot',
          id: `slot-free-${String(++n).padStart(5, '0')}`,
          schedule: ref('Schedule', clinician.scheduleId),
          serviceType: [concept(SYSTEM.snomed, code, display)],
          status: 'free',
          start: dateTime(start),
          end: dateTime(start + SLOT_MINUTES * MINUTE),
        };
      }
    }
  }
}

export type VisitPurpose = 'CHECKUP' | 'FOLLOWUP' | 'ROUTINE' | 'WALKIN';

export interface VisitRequest {
  clinician: Clinician;
  /** Wished-for time of the visit; moved to clinic hours. */
  at: number;
  /** Days between booking and the visit, the strongest no-show predictor. */
  leadDays: number;
  purpose: VisitPurpose;
  reason?: LiteralReference;
}

export interface VisitOutcome {
  /** Set when the patient was seen: the Appointment and the real start (after waiting). */
  appointmentId?: string;
  seenAt?: number;
  waitMinutes?: number;
}

/** Books a visit and, after a no-show or cancellation, usually rebooks it; returns the visit seen. */
export interface AttendanceHistory {
  /** Start times of missed appointments; only the past year counts (habits change). */
  noShows: number[];
}

export function bookVisit(ctx: PatientContext, history: AttendanceHistory, request: VisitRequest): VisitOutcome {
  const random = ctx.random;
  let at = request.at;
  let lead = request.leadDays;
  for (let attempt = 0; attempt < 3; attempt++) {
    const hour = random.pick(CLINIC_HOURS);
    const start = clinicTime(at, hour, random.chance(0.5) ? 0 : 30);
    const created = start - lead * DAY - random.int(0, 8 * 60) * MINUTE;
    if (start > (ctx.death ?? Infinity) || created < ctx.start || created > ctx.now) return {};
    const future = start > ctx.now;
    if (future && startOfDay(start) <= startOfDay(ctx.now) + FREE_SLOT_DAYS * DAY) return {};
    const age = ageAt(ctx.birth, start);
    const logLead = Math.log1p(Math.max(0, lead));
    const pCancel = sigmoid(-3.5 + 0.45 * logLead);
    const recentNoShows = history.noShows.filter((t) => t < start && start - t < 365 * DAY).length;
    const pNoShow = sigmoid(-3.5 + 0.35 * logLead + (age >= 18 && age < 35 ? 0.6 : 0) - (age >= 65 ? 0.4 : 0) + 0.6 * Math.min(recentNoShows, 3));
    let status: Appointment['status'];
    if (random.chance(pCancel)) status = 'cancelled';
    else if (future) status = 'booked';
    else if (random.chance(pNoShow)) status = 'noshow';
    else status = 'fulfilled';
    // A cancellation is only known before the start; a future cancelled one must be cancelled by now.
    const appointmentId = writeAppointment(ctx, request, start, created, status);
    if (status === 'fulfilled') {
      const waitMinutes = Math.round(Math.min(120, Math.exp(random.normal(2.4, 0.7))));
      return { appointmentId, seenAt: start + waitMinutes * MINUTE, waitMinutes };
    }
    if (status === 'booked') return {};
    if (status === 'noshow') history.noShows.push(start);
    if (!random.chance(0.7)) return {};
    // Rebooking happens after the missed date, with a shorter lead since the need is now pressing.
    lead = random.int(2, 14);
    at = Math.max(start, at) + (lead + random.int(0, 3)) * DAY;
  }
  return {};
}

function writeAppointment(ctx: PatientContext, request: VisitRequest, start: number, created: number, status: Appointment['status']): string {
  const { clinician } = request;
  const [code, display] = SPECIALTY_CODES[clinician.specialty];
  const end = start + SLOT_MINUTES * MINUTE;
  const slotId = ctx.nextId('slot');
  const appointmentId = ctx.nextId('apt');
  ctx.add<Slot>({
    resourceType: 'Slot',
    id: slotId,
    schedule: ref('Schedule', clinician.scheduleId ?? ''),
    serviceType: [concept(SYSTEM.snomed, code, display)],
    // A cancelled appointment frees its slot again; a no-show still consumed it.
    status: status === 'cancelled' ? 'free' : 'busy',
    start: dateTime(start),
    end: dateTime(end),
  });
  const patientStatus = status === 'cancelled' ? 'declined' : 'accepted';
  const appointment: Appointment = {
    resourceType: 'Appointment',
    id: appointmentId,
    status,
    serviceType: [concept(SYSTEM.snomed, code, display)],
    specialty: [concept(SYSTEM.snomed, code, display)],
    appointmentType: concept(SYSTEM.appointmentType, request.purpose, PURPOSE_DISPLAY[request.purpose]),
    ...(request.reason ? { reasonReference: [request.reason] } : {}),
    start: dateTime(start),
    end: dateTime(end),
    minutesDuration: SLOT_MINUTES,
    slot: [ref('Slot', slotId)],
    created: dateTime(created),
    participant: [
      { actor: ctx.patientRef, required: 'required', status: patientStatus },
      { actor: ref('Practitioner', clinician.practitionerId), required: 'required', status: 'accepted' },
      { actor: ref('Location', clinician.site.locationId), required: 'information-only', status: 'accepted' },
    ],
  };
  if (status === 'cancelled') {
    appointment.cancelationReason = ctx.random.chance(0.8)
      ? concept(SYSTEM.cancellationReason, 'pat', 'Patient')
      : concept(SYSTEM.cancellationReason, 'prov', 'Provider');
  }
  ctx.add(appointment);
  return appointmentId;
}

const PURPOSE_DISPLAY: Record<VisitPurpose, string> = {
  CHECKUP: 'A routine check-up, such as an annual physical',
  FOLLOWUP: 'A follow up visit from a previous appointment',
  ROUTINE: 'Routine appointment - default if not valued',
  WALKIN: 'A previously unscheduled walk-in visit',
};

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
