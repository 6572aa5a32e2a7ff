// $stats (R4 Observation-stats): statistics of one subject's Observations per code, computed in
// the database (analytics/stats.ts, engine numericStats); `include` adds the source Observations
// (at most `limit`, most recent first).
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { parseStoredJson } from '../../fhir/json';
import { observationOf, observationWhere, sourcesOf, sourceStats } from '../../analytics/stats';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { statsInput } from './stats-input';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export const statsOperation: OperationModule = {
  definition: r4OperationDefinition('Observation-stats'),
  affectsState: false,
  handler: stats,
  example: {
    setup: [{ resourceType: 'Observation', id: 'stats-example', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, subject: { reference: 'Patient/stats-example' }, effectiveDateTime: '2025-01-01T10:00:00Z', valueQuantity: { value: 70, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } }],
    level: 'type',
    resourceType: 'Observation',
    parameters: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'subject', valueUri: 'Patient/stats-example' },
        { name: 'system', valueUri: 'http://loinc.org' },
        { name: 'code', valueString: '29463-7' },
        { name: 'statistic', valueCode: 'average' },
      ],
    },
  },
};

async function stats(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const { params } = call;
  const subjectText = params.string('subject')!;
  const m = /^(?:.*\/)?([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(subjectText);
  if (!m || !ctx.services.search.registry.resourceTypes.has(m[1])) throw errors.invalidParam('subject', `'${subjectText.slice(0, 80)}' is not a reference like Patient/123`);
  const subject = { type: m[1], id: m[2] };
  const input = statsInput(params, ctx.clock.now());
  const include = params.boolean('include') ?? false;
  const limit = params.number('limit') ?? DEFAULT_LIMIT;
  if (limit > MAX_LIMIT) throw errors.invalidParam('limit', `must be at most ${MAX_LIMIT}`);

  const statistics = [];
  const source: Resource[] = [];
  for (const code of input.codes) {
    const scope = { subject, window: input.window };
    for (const source of await sourcesOf(ctx.data, code, scope)) {
      statistics.push(observationOf(await sourceStats(ctx.data, source, input.statistics, scope), input.statistics, input.window, `${subject.type}/${subject.id}`));
    }
    if (include && source.length < limit) {
      const where = observationWhere(code, subject, input.window);
      const found = await ctx.data.search({ resourceTypes: ['Observation'], where, sort: [{ param: 'date', descending: true }], count: limit - source.length, total: 'none', include: [], revinclude: [] });
      source.push(...found.matches.map((v) => parseStoredJson(v.json!) as Resource));
    }
  }
  return { out: { statistics, ...(include && source.length ? { source } : {}) } };
}
