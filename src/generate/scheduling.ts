/**
 * Slots and Appointments. Shared output holds a grid of free Slots in the two weeks after `now`
 * (what `$find` can offer); each patient's own Appointments carry their own Slot, placed either in
 * the past or at least 15 days ahead, so a patient's Slot never overlaps the shared free grid.
 *
 * Attendance follows a logistic model of the predictors outpatient no-show studies report most
 * often (systematic review: Dantas et al., Health Policy 2018; the sources of each effect are in
 * docs/ai.md, "Appointment no-show: the planted signal"):
 *   no-show logit = base + u + lead·ln(1+lead days) + youngAdult·[18 ≤ age < 35] + older·[age ≥ 65]
 *                   + pastYear·min(no-shows in the past year, 3) + deprivation·(decile − 1)
 *                   + noPhone·[no phone on file] + distance·ln(1 + km to the clinic / 10) + monday·[Monday]
 * with the coefficients of NO_SHOW_EFFECTS, and u a patient's own, persistent attendance habit
 * (normal, sd NO_SHOW_EFFECTS.habitSd) that nothing in the record shows except their attendance
 * itself — which is why earlier no-shows are the strongest predictor.
 *   cancel  logit = −3.5 + 0.45·ln(1+lead days)
 * giving about 12 % no-shows and ~11 % cancellations overall.
 */
import type { Appointment, Slot } from '@medplum/fhirtypes';
import type { LiteralReference, PatientContext } from './context';
import { ref } from './context';
import type { Clinician, Directory } from './organizations';
import { SPECIALTY_CODES } from './organizations';
import { Random } from './random';
import { concept, SYSTEM } from './terminology';
import { ageAt, clinicTime, dateTime, DAY, MINUTE, startOfDay } from './time';

/** The planted no-show effects (log-odds), documented with their sources in docs/ai.md. */
export const NO_SHOW_EFFECTS = {
  base: -5.0,
  habitSd: 1.8,
  lead: 0.45,
  youngAdult: 0.5,
  older: -0.4,
  pastYear: 0.4,
  deprivation: 0.15,
  noPhone: 0.5,
  distance: 0.3,
  monday: 0.2,
};

/** Great-circle distance in km (haversine). */
export function distanceKm(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((b.latitude - a.latitude) * rad) / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(((b.longitude - a.longitude) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

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
  /** The patient's own attendance habit u (log-odds), drawn once per patient. */
  habit: number;
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
    const e = NO_SHOW_EFFECTS;
    const km = distanceKm(ctx.home, sitePosition(ctx, request.clinician));
    const pNoShow = sigmoid(
      e.base + history.habit + e.lead * logLead + (age >= 18 && age < 35 ? e.youngAdult : 0) + (age >= 65 ? e.older : 0) +
        e.pastYear * Math.min(recentNoShows, 3) + e.deprivation * (ctx.deprivationDecile - 1) + (ctx.hasPhone ? 0 : e.noPhone) +
        e.distance * Math.log1p(km / 10) + (new Date(start).getUTCDay() === 1 ? e.monday : 0),
    );
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

/** Where the clinician's site is: its Location's position. */
function sitePosition(ctx: PatientContext, clinician: Clinician): { latitude: number; longitude: number } {
  const location = ctx.directory.resources.locations.find((l) => l.id === clinician.site.locationId);
  return location?.position ?? clinician.site.town;
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
