// Appointment/$find: proposed Appointments built from free Slots (a lapsed hold counts as free),
// ordered by start, as a searchset Bundle. The Slots are found by an ordinary search through the
// caller's door (chains to the Schedule's actor for practitioner and location).
import type { Appointment, AppointmentParticipant, Bundle, Schedule, Slot } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { parseSearchQuery } from '../../search/parse-query';
import { slotHold } from '../../workflow/scheduling';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule } from '../types';

const DAY = 86_400_000;
const MAX_PROPOSALS = 100;

export const findOperation: OperationModule = {
  definition: nimbusOperationDefinition('appointment-find'),
  affectsState: false,
  handler: find,
  example: {
    setup: [{ resourceType: 'Slot', id: 'find-example', schedule: { reference: 'Schedule/x' }, status: 'free', start: '2999-01-01T09:00:00Z', end: '2999-01-01T09:30:00Z' }],
    level: 'type',
    resourceType: 'Appointment',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'start', valueDateTime: '2998-12-31T00:00:00Z' }] },
  },
};

const REF = (type: string) => new RegExp(`^${type}/[A-Za-z0-9\\-.]{1,64}$`);

async function find(call: OperationCall, ctx: RequestContext) {
  const p = call.params;
  const now = ctx.services.core.clock.now().getTime();
  const start = p.string('start') ?? new Date(now).toISOString();
  const startMs = Date.parse(start);
  if (!Number.isFinite(startMs)) throw errors.badRequest(`start '${start}' is not a dateTime`, ['start']);
  const end = p.string('end') ?? new Date(Math.max(startMs, now) + 14 * DAY).toISOString();
  if (!Number.isFinite(Date.parse(end)) || Date.parse(end) < startMs) throw errors.badRequest('end must be a dateTime not before start', ['end']);
  const count = Math.min(p.number('_count') ?? 20, MAX_PROPOSALS);
  const query: Array<[string, string]> = [
    ['status', 'free,busy-tentative'],
    ['start', `ge${new Date(Math.max(startMs, now)).toISOString()}`],
    ['start', `le${new Date(Date.parse(end)).toISOString()}`],
    ['_sort', 'start'],
    // Lapsed holds are filtered below: read more than asked so a page of holds does not starve it.
    ['_count', String(Math.min(count * 3, 300))],
    ['_include', 'Slot:schedule'],
  ];
  for (const code of p.all<string>('service-type')) query.push(['service-type', code]);
  for (const code of p.all<string>('specialty')) query.push(['specialty', code]);
  const actors: string[] = [];
  for (const [name, type] of [['practitioner', 'Practitioner'], ['location', 'Location']] as const) {
    const ref = p.string(name);
    if (ref === undefined) continue;
    if (!REF(type).test(ref)) throw errors.badRequest(`${name} must be ${type}/[id]`, [name]);
    actors.push(ref);
  }
  if (actors.length) {
    // The actor's Schedules first (few), then their Slots by `schedule`: a reference lookup that
    // drives the Slot query. Through the chain `schedule.actor=…` SQLite walked every Slot of the
    // month in start order and tested the chain on each (a month over 50 schedules: 500 ms → see
    // docs/scheduling.md). Many Schedules (beyond a page): the chain, as before.
    const schedules = await actorSchedules(ctx, actors, now);
    if (schedules === undefined) for (const ref of actors) query.push([`schedule.actor:${ref.split('/')[0]}`, ref.split('/')[1]]);
    else if (!schedules.length) return { out: { return: { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] } as Bundle } };
    else query.push(['schedule', schedules.map((id) => `Schedule/${id}`).join(',')]);
  }
  const near = p.string('near');
  // Slot → Schedule → Location.near: the same `near` search as Location?near=, through two chains.
  if (near !== undefined) query.push(['schedule.actor:Location.near', near]);
  const patient = p.string('patient');
  if (patient !== undefined && !REF('Patient').test(patient)) throw errors.badRequest('patient must be Patient/[id]', ['patient']);
  const search = ctx.services.search;
  const parsed = parseSearchQuery(search.registry, query, {
    resourceTypes: ['Slot'],
    defaultCount: search.defaultCount,
    maxCount: 300,
    now,
    baseUrl: ctx.baseUrl,
    terminology: search.terminology,
  });
  const result = await ctx.data.search(parsed.plan);
  const schedules = new Map(result.included.filter((v) => v.resourceType === 'Schedule' && v.json).map((v) => [`Schedule/${v.id}`, JSON.parse(v.json!) as Schedule]));
  const proposals: Appointment[] = [];
  for (const v of result.matches) {
    if (proposals.length >= count || !v.json) break;
    const slot = JSON.parse(v.json) as Slot;
    if (slot.status === 'busy-tentative' && (slotHold(slot)?.expires ?? 0) > now) continue;
    const participant: AppointmentParticipant[] = (schedules.get(slot.schedule?.reference ?? '')?.actor ?? []).map((actor) => ({ actor, status: 'needs-action' }));
    if (patient) participant.push({ actor: { reference: patient }, status: 'needs-action' });
    if (!participant.length) participant.push({ status: 'needs-action', type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }] });
    proposals.push({
      resourceType: 'Appointment',
      status: 'proposed',
      start: slot.start,
      end: slot.end,
      slot: [{ reference: `Slot/${v.id}` }],
      ...(slot.serviceType ? { serviceType: slot.serviceType } : {}),
      ...(slot.specialty ? { specialty: slot.specialty } : {}),
      participant,
    });
  }
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: proposals.length, entry: proposals.map((resource) => ({ resource, search: { mode: 'match' } })) };
  return { out: { return: bundle } };
}

const MAX_SCHEDULES = 100;

/** Ids of the Schedules whose actors include every one of `actors` (undefined: more than a page). */
async function actorSchedules(ctx: RequestContext, actors: string[], now: number): Promise<string[] | undefined> {
  const search = ctx.services.search;
  const parsed = parseSearchQuery(search.registry, [...actors.map((a): [string, string] => ['actor', a]), ['_count', String(MAX_SCHEDULES + 1)], ['_elements', 'id']], {
    resourceTypes: ['Schedule'],
    defaultCount: search.defaultCount,
    maxCount: MAX_SCHEDULES + 1,
    now,
    baseUrl: ctx.baseUrl,
    terminology: search.terminology,
  });
  const found = await ctx.data.search({ ...parsed.plan, total: 'none' });
  if (found.matches.length > MAX_SCHEDULES || found.nextCursor) return undefined;
  return found.matches.map((m) => m.id);
}
