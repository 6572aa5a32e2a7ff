/**
 * Procedures and the order workflow around referred ones. A referral is a ServiceRequest written at
 * the ordering visit plus a Task (focus → ServiceRequest) owned by the performing specialist, in
 * the state its order has reached at `now` (orders.ts: every Task state occurs); once done a
 * Procedure (basedOn → ServiceRequest) is recorded at its own visit and linked as the Task's output.
 * Bedside procedures (ECG, chest X-ray) are recorded directly.
 */
import type { Procedure, ServiceRequest } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import type { Visit } from './encounters';
import { encounterResource } from './encounters';
import type { Specialty } from './organizations';
import { clinicianFor } from './organizations';
import { orderFate, orderTasks, waitingFate } from './orders';
import { Random } from './random';
import { concept, snomed, SYSTEM } from './terminology';
import { ageAt, clinicTime, dateTime, DAY, HOUR, MINUTE } from './time';

export type ReferralKind = 'colonoscopy' | 'mammography' | 'echocardiography' | 'spirometry' | 'kneeReplacement';

const REFERRALS: Record<ReferralKind, { code: [string, string]; specialty: Specialty; medianWaitDays: number; hours: number }> = {
  colonoscopy: { code: ['73761001', 'Colonoscopy'], specialty: 'gastroenterology', medianWaitDays: 35, hours: 1 },
  mammography: { code: ['71651007', 'Mammography'], specialty: 'radiology', medianWaitDays: 14, hours: 0.5 },
  echocardiography: { code: ['40701008', 'Echocardiography'], specialty: 'cardiology', medianWaitDays: 21, hours: 1 },
  spirometry: { code: ['127783003', 'Spirometry'], specialty: 'pulmonology', medianWaitDays: 18, hours: 0.5 },
  kneeReplacement: { code: ['609588000', 'Total knee replacement'], specialty: 'orthopedics', medianWaitDays: 95, hours: 72 },
};

const SURGICAL = new Set(['609588000']);

export const BEDSIDE = {
  ecg: ['29303009', 'Electrocardiographic procedure'],
  chestXray: ['399208008', 'Plain X-ray of chest'],
  depressionScreening: ['171207006', 'Depression screening'],
} as const;

/** Orders a referred procedure at `visit`; returns the procedure visit if it happened by `now`. */
export function refer(ctx: PatientContext, visit: Visit, kind: ReferralKind, reasonId?: string): Visit | undefined {
  const r = ctx.random;
  const plan = REFERRALS[kind];
  const performer = clinicianFor(ctx.directory, plan.specialty, ctx.town, r);
  const ordered = visit.start + 25 * MINUTE;
  const waitDays = Math.max(2, Math.round(plan.medianWaitDays * Math.exp(r.normal(0, 0.5))));
  const due = clinicTime(ordered + waitDays * DAY, r.int(8, 14), 0);
  const cancelled = r.chance(0.06);
  const done = !cancelled && due + plan.hours * HOUR <= ctx.end;
  const srId = ctx.nextId('sr');
  const timing = { ordered, due, finished: due + plan.hours * HOUR, waitDays, cancelled, done };
  const fate = orderFate(ctx, srId, timing);
  ctx.add<ServiceRequest>({
    resourceType: 'ServiceRequest',
    id: srId,
    status: fate.requestStatus,
    intent: 'order',
    category: [SURGICAL.has(plan.code[0]) ? snomed('387713003', 'Surgical procedure') : snomed('103693007', 'Diagnostic procedure')],
    priority: fate.priority,
    code: snomed(plan.code[0], plan.code[1]),
    subject: ctx.patientRef,
    encounter: ref('Encounter', visit.id),
    occurrenceDateTime: dateTime(due),
    authoredOn: dateTime(ordered),
    requester: ref('Practitioner', visit.clinician.practitionerId),
    performer: [ref('Practitioner', performer.practitionerId)],
    ...(reasonId ? { reasonReference: [ref('Condition', reasonId)] } : {}),
  });
  const parties = { requester: ref('Practitioner', visit.clinician.practitionerId), owner: ref('Practitioner', performer.practitionerId), encounterId: visit.id };
  if (!done) {
    for (const task of orderTasks(ctx, srId, fate, timing, parties)) ctx.add(task);
    return undefined;
  }
  const procedureVisit: Visit = {
    id: ctx.nextId('enc'),
    kind: kind === 'kneeReplacement' ? 'inpatient' : 'procedure',
    start: due,
    end: due + plan.hours * HOUR,
    clinician: performer,
    focus: [],
    reasonIds: reasonId ? [reasonId] : [],
  };
  ctx.add(encounterResource(ctx, procedureVisit));
  const procedureId = recordProcedure(ctx, procedureVisit, plan.code, procedureVisit.start, procedureVisit.end, reasonId, srId);
  for (const task of orderTasks(ctx, srId, fate, timing, { ...parties, procedureId })) ctx.add(task);
  return procedureVisit;
}

export function recordProcedure(ctx: PatientContext, visit: Visit, code: readonly [string, string], start: number, end: number, reasonId?: string, basedOn?: string): string {
  const id = ctx.nextId('proc');
  ctx.add<Procedure>({
    resourceType: 'Procedure',
    id,
    ...(basedOn ? { basedOn: [ref('ServiceRequest', basedOn)] } : {}),
    status: 'completed',
    category: SURGICAL.has(code[0]) ? concept(SYSTEM.snomed, '387713003', 'Surgical procedure') : concept(SYSTEM.snomed, '103693007', 'Diagnostic procedure'),
    code: snomed(code[0], code[1]),
    subject: ctx.patientRef,
    encounter: ref('Encounter', visit.id),
    performedPeriod: { start: dateTime(start), end: dateTime(end) },
    performer: [{ actor: ref('Practitioner', visit.clinician.practitionerId) }],
    location: ref('Location', visit.clinician.site.locationId),
    ...(reasonId ? { reasonReference: [ref('Condition', reasonId)] } : {}),
  });
  return id;
}

/**
 * The patient's place on a waiting list at `now`, if any: about half of living patients aged
 * 50–74 have a screening referral still open, in one of the open Task states (orders.ts). Drawn
 * from a stream of its own, after the rest of the record.
 */
export function waitingListOrder(ctx: PatientContext): void {
  if (ctx.death !== undefined) return;
  const random = new Random('waiting-list', ctx.seed, ctx.index);
  const age = ageAt(ctx.birth, ctx.now);
  if (age < 50 || age >= 75 || !random.chance(0.5)) return;
  const kind: ReferralKind = ctx.sex === 'female' && random.chance(0.5) ? 'mammography' : 'colonoscopy';
  const plan = REFERRALS[kind];
  const performer = clinicianFor(ctx.directory, plan.specialty, ctx.town, random);
  const { fate, daysAgo } = waitingFate(random);
  const ordered = ctx.now - Math.round(daysAgo * 24 * 60) * MINUTE;
  const waitDays = Math.ceil(daysAgo) + random.int(3, plan.medianWaitDays);
  const due = clinicTime(ordered + waitDays * DAY, random.int(8, 14), 0);
  const srId = ctx.nextId('sr');
  const requester = ref('Practitioner', ctx.homeClinician.practitionerId);
  ctx.add<ServiceRequest>({
    resourceType: 'ServiceRequest',
    id: srId,
    status: fate.requestStatus,
    intent: 'order',
    category: [snomed('103693007', 'Diagnostic procedure')],
    priority: fate.priority,
    code: snomed(plan.code[0], plan.code[1]),
    subject: ctx.patientRef,
    occurrenceDateTime: dateTime(due),
    authoredOn: dateTime(ordered),
    requester,
    performer: [ref('Practitioner', performer.practitionerId)],
  });
  const timing = { ordered, due, finished: due + plan.hours * HOUR, waitDays, cancelled: false, done: false };
  for (const task of orderTasks(ctx, srId, fate, timing, { requester, owner: ref('Practitioner', performer.practitionerId) })) ctx.add(task);
}
