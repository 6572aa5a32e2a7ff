/**
 * Procedures and the order workflow around referred ones. A referral is a ServiceRequest written at
 * the ordering visit plus a Task (focus → ServiceRequest) owned by the performing specialist; the
 * Task's executionPeriod spans the wait, and once done a Procedure (basedOn → ServiceRequest) is
 * recorded at its own visit. Orders still waiting at `now` stay requested/in-progress, which is what
 * waiting-list analytics look at. Bedside procedures (ECG, chest X-ray) are recorded directly.
 */
import type { Procedure, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { PatientContext } from './context';
import { ref } from './context';
import type { Visit } from './encounters';
import { encounterResource } from './encounters';
import type { Specialty } from './organizations';
import { clinicianFor } from './organizations';
import { concept, snomed, SYSTEM } from './terminology';
import { clinicTime, dateTime, DAY, HOUR, MINUTE } from './time';

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
  const status: ServiceRequest['status'] = cancelled ? 'revoked' : done ? 'completed' : ctx.death !== undefined ? 'revoked' : 'active';
  ctx.add<ServiceRequest>({
    resourceType: 'ServiceRequest',
    id: srId,
    status,
    intent: 'order',
    category: [SURGICAL.has(plan.code[0]) ? snomed('387713003', 'Surgical procedure') : snomed('103693007', 'Diagnostic procedure')],
    priority: 'routine',
    code: snomed(plan.code[0], plan.code[1]),
    subject: ctx.patientRef,
    encounter: ref('Encounter', visit.id),
    occurrenceDateTime: dateTime(due),
    authoredOn: dateTime(ordered),
    requester: ref('Practitioner', visit.clinician.practitionerId),
    performer: [ref('Practitioner', performer.practitionerId)],
    ...(reasonId ? { reasonReference: [ref('Condition', reasonId)] } : {}),
  });
  // Tasks still open at `now` are split between not yet accepted and scheduled, as on a waiting list.
  const taskStatus: Task['status'] = status === 'completed' ? 'completed' : status === 'revoked' ? 'cancelled' : ordered + 7 * DAY < ctx.now ? 'in-progress' : 'requested';
  const lastModified = taskStatus === 'completed' ? due + plan.hours * HOUR : taskStatus === 'cancelled' ? Math.min(ctx.end, ordered + r.int(1, waitDays) * DAY) : Math.min(ctx.now, ordered + 2 * DAY);
  ctx.add<Task>({
    resourceType: 'Task',
    id: ctx.nextId('task'),
    basedOn: [ref('ServiceRequest', srId)],
    status: taskStatus,
    businessStatus: { text: { completed: 'Procedure performed', cancelled: 'Order withdrawn', 'in-progress': 'Booked, awaiting date', requested: 'Awaiting triage' }[taskStatus as string] ?? taskStatus },
    intent: 'order',
    priority: 'routine',
    code: concept('http://hl7.org/fhir/CodeSystem/task-code', 'fulfill', 'Fulfill the focal request'),
    focus: ref('ServiceRequest', srId),
    for: ctx.patientRef,
    encounter: ref('Encounter', visit.id),
    executionPeriod: { start: dateTime(ordered), ...(taskStatus === 'completed' || taskStatus === 'cancelled' ? { end: dateTime(lastModified) } : {}) },
    authoredOn: dateTime(ordered),
    lastModified: dateTime(lastModified),
    requester: ref('Practitioner', visit.clinician.practitionerId),
    owner: ref('Practitioner', performer.practitionerId),
  });
  if (!done) return undefined;
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
  recordProcedure(ctx, procedureVisit, plan.code, procedureVisit.start, procedureVisit.end, reasonId, srId);
  return procedureVisit;
}

export function recordProcedure(ctx: PatientContext, visit: Visit, code: readonly [string, string], start: number, end: number, reasonId?: string, basedOn?: string): void {
  ctx.add<Procedure>({
    resourceType: 'Procedure',
    id: ctx.nextId('proc'),
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
}
