// Questionnaire/[id]/$aggregate: the completed responses to one Questionnaire over a period,
// summarised per item (feedback-summary.ts), overall and per stratum. Every figure starts as answer
// counts computed in the database (Engine.answerHistogram); strata are further search predicates:
// a month is an `authored` range; a Practitioner is `encounter.practitioner`; a HealthcareService
// is `encounter.appointment.actor` (the service booked for the visit). The strata that exist are
// themselves found by counting in the database (Encounters / Appointments of the responses).
import type { Questionnaire } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { restrictingPredicates } from './criteria';
import { errors } from '../fhir/errors';
import type { Predicate } from '../search/plan';
import type { SearchServices } from '../search/service';
import { summariseItems, type ItemSummary } from './feedback-summary';

export type StratumKind = 'month' | 'practitioner' | 'service';
export const STRATUM_KINDS: readonly StratumKind[] = ['month', 'practitioner', 'service'];
/** Most Practitioners / HealthcareServices reported (those with the most responses' visits). */
export const MAX_STRATA = 100;
const MAX_MONTHS = 120;

export interface FeedbackAggregateRequest {
  questionnaire: Questionnaire & { id: string };
  /** Inclusive days, `YYYY-MM-DD`. */
  start: string;
  end: string;
  stratifyBy: StratumKind[];
  promoterItems: ReadonlySet<string>;
  baseUrl: string;
  /** Called between database queries (cancellation of a job or a gone client). */
  checkpoint?: () => void;
}

export interface FeedbackStratum {
  kind: StratumKind;
  /** `YYYY-MM` for a month, `Practitioner/id` or `HealthcareService/id` otherwise. */
  value: string;
  responses: number;
  items: ItemSummary[];
}

export interface FeedbackAggregate {
  responses: number;
  items: ItemSummary[];
  strata: FeedbackStratum[];
}

/** FHIR search escaping of a value inside a comma list. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/\$/g, '\\$').replace(/\|/g, '\\|');

export async function aggregateFeedback(data: DataAccess, search: SearchServices, request: FeedbackAggregateRequest): Promise<FeedbackAggregate> {
  const q = request.questionnaire;
  const named = [q.url ? esc(q.url) : undefined, `Questionnaire/${q.id}`].filter(Boolean).join(',');
  const responseQuery = `questionnaire=${encodeURIComponent(named)}&status=completed,amended&authored=ge${request.start}&authored=le${request.end}`;
  const predicates = (type: string, query: string): Predicate[] => {
    const where = restrictingPredicates(search, request.baseUrl, type, query);
    if (!where) throw errors.badRequest(`internal: '${query}' is not a restriction`);
    return where;
  };
  const base = predicates('QuestionnaireResponse', responseQuery);
  const summarise = async (extra: Predicate[]) => {
    request.checkpoint?.();
    const h = await data.answerHistogram({ where: [...base, ...extra] });
    return { responses: h.responses, items: summariseItems(q, h, request.promoterItems) };
  };
  const months = request.stratifyBy.includes('month') ? monthsOf(request.start, request.end) : [];
  const overall = await summarise([]);
  const strata: FeedbackStratum[] = [];
  // No response at all: no stratum has one either.
  for (const kind of overall.responses ? request.stratifyBy : []) {
    for (const value of kind === 'month' ? months : await strataOf(kind)) {
      const s = await summarise(predicates('QuestionnaireResponse', stratumQuery(kind, value)));
      if (s.responses) strata.push({ kind, value, ...s });
    }
  }
  return { ...overall, strata };

  async function strataOf(kind: Exclude<StratumKind, 'month'>): Promise<string[]> {
    // The responses' own criteria, as seen from their Encounters (and those Encounters' Appointments).
    const has = responseQuery
      .split('&')
      .map((p) => `_has:QuestionnaireResponse:encounter:${p}`)
      .join('&');
    const found =
      kind === 'practitioner'
        ? await data.aggregate({ resourceTypes: ['Encounter'], where: predicates('Encounter', has), groupBy: { param: 'practitioner', kind: 'reference' }, limit: MAX_STRATA })
        : await data.aggregate({
            resourceTypes: ['Appointment'],
            where: predicates('Appointment', has.split('&').map((p) => `_has:Encounter:appointment:${p}`).join('&')),
            groupBy: { param: 'actor', kind: 'reference' },
          });
    const type = kind === 'practitioner' ? 'Practitioner' : 'HealthcareService';
    return found.groups
      .filter((g) => g.key.type === type && g.key.id)
      .slice(0, MAX_STRATA)
      .map((g) => `${type}/${g.key.id}`);
  }
}

function stratumQuery(kind: StratumKind, value: string): string {
  if (kind === 'month') return `authored=${value}`;
  if (kind === 'practitioner') return `encounter.practitioner=${encodeURIComponent(value)}`;
  return `encounter.appointment.actor=${encodeURIComponent(value)}`;
}

/** `YYYY-MM` of every month the inclusive period touches. */
export function monthsOf(start: string, end: string): string[] {
  const out: string[] = [];
  let y = Number(start.slice(0, 4));
  let m = Number(start.slice(5, 7));
  const last = end.slice(0, 7);
  for (;;) {
    const month = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
    if (month > last) break;
    out.push(month);
    if (out.length > MAX_MONTHS) throw errors.badRequest(`Stratifying by month covers at most ${MAX_MONTHS} months: choose a shorter period`);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}
