// Questionnaire/[id]/$aggregate (server-specific, fhir-profiles/operations/OperationDefinition-questionnaire-aggregate.json):
// patient-feedback figures per item over a period, overall and per month / Practitioner /
// HealthcareService (analytics/feedback-aggregate.ts), computed from answer counts in the database.
import type { Coding, Questionnaire } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { aggregateFeedback, STRATUM_KINDS, type StratumKind } from '../../analytics/feedback-aggregate';
import type { ItemSummary } from '../../analytics/feedback-summary';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

const DAY = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

export const questionnaireAggregateOperation: OperationModule = {
  definition: nimbusOperationDefinition('questionnaire-aggregate'),
  affectsState: false,
  async: 'allowed',
  handler: aggregate,
  example: {
    setup: [
      { resourceType: 'Questionnaire', id: 'aggregate-example', url: 'http://example.org/Questionnaire/aggregate-example', status: 'active', item: [{ linkId: 'score', type: 'integer' }] },
      { resourceType: 'QuestionnaireResponse', id: 'aggregate-example-1', questionnaire: 'http://example.org/Questionnaire/aggregate-example', status: 'completed', authored: '2025-03-01T10:00:00Z', item: [{ linkId: 'score', answer: [{ valueInteger: 4 }] }] },
    ],
    level: 'instance',
    resourceType: 'Questionnaire',
    id: 'aggregate-example',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'start', valueDate: '2025-01-01' }, { name: 'end', valueDate: '2025-12-31' }] },
  },
};

async function aggregate(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const current = call.target.current;
  if (!current?.json) throw errors.notFound('Questionnaire', call.target.id ?? '');
  const questionnaire = JSON.parse(current.json) as Questionnaire & { id: string };
  const today = ctx.clock.now().toISOString().slice(0, 10);
  const end = day(call.params.string('end') ?? today, 'end');
  const start = day(call.params.string('start') ?? yearBefore(end), 'start');
  if (start > end) throw errors.invalidParam('start', `${start} is after end ${end}`);
  const stratifyBy: StratumKind[] = [];
  for (const raw of call.params.all<string>('stratifyBy').flatMap((v) => String(v).split(','))) {
    const kind = raw.trim() as StratumKind;
    if (!STRATUM_KINDS.includes(kind)) throw errors.invalidParam('stratifyBy', `'${raw.slice(0, 40)}' is not one of ${STRATUM_KINDS.join(', ')}`);
    if (!stratifyBy.includes(kind)) stratifyBy.push(kind);
  }
  const result = await aggregateFeedback(ctx.data, ctx.services.search, {
    questionnaire,
    start,
    end,
    stratifyBy,
    promoterItems: new Set(call.params.all<string>('npsItem').map(String)),
    baseUrl: ctx.baseUrl,
    checkpoint: () => call.job.throwIfCancelled(),
  });
  return {
    out: {
      questionnaire: questionnaire.url ?? `Questionnaire/${questionnaire.id}`,
      start,
      end,
      responses: result.responses,
      item: result.items.map(itemOut),
      stratum: result.strata.map((s) => ({
        by: s.kind,
        ...(s.kind === 'month' ? { month: s.value } : { reference: { reference: s.value } }),
        responses: s.responses,
        item: s.items.map(itemOut),
      })),
    },
  };
}

function itemOut(i: ItemSummary): Record<string, unknown> {
  return {
    linkId: i.linkId,
    ...(i.text ? { text: i.text } : {}),
    type: i.type,
    answers: i.answers,
    answer: i.distribution.map((a) => ({ value: a.label, ...(a.coding ? { coding: a.coding as Coding } : {}), count: a.count })),
    ...(i.mean !== undefined ? { mean: i.mean } : {}),
    ...(i.median !== undefined ? { median: i.median } : {}),
    ...(i.nps ? { nps: i.nps } : {}),
    ...(i.freeText !== undefined ? { freeText: i.freeText } : {}),
  };
}

function day(value: string, name: string): string {
  if (!DAY.test(value)) throw errors.invalidParam(name, `'${value.slice(0, 40)}' must be a full date, YYYY-MM-DD`);
  return value;
}

function yearBefore(end: string): string {
  const d = new Date(`${end}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
