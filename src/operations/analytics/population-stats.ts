// $population-stats (server-specific, fhir-profiles/operations/OperationDefinition-population-stats.json):
// $stats over every patient's Observations of a code, overall and per gender × age band stratum
// (analytics/strata.ts). Every figure is one numericStats query in the database.
import { OperationParameters } from '../parameters';
import type { RequestContext } from '../../context/request-context';
import { observationOf, sourcesOf, sourceStats } from '../../analytics/stats';
import { AGE_BANDS, GENDERS, stratumPredicate } from '../../analytics/strata';
import type { Predicate } from '../../search/plan';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult, OutValue } from '../types';
import { statsInput } from './stats-input';

export const populationStatsOperation: OperationModule = {
  definition: nimbusOperationDefinition('population-stats'),
  affectsState: false,
  async: 'allowed',
  handler: populationStats,
  example: {
    setup: [{ resourceType: 'Observation', id: 'population-stats-example', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, effectiveDateTime: '2025-01-01T10:00:00Z', valueQuantity: { value: 70, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' } }],
    level: 'type',
    resourceType: 'Observation',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'system', valueUri: 'http://loinc.org' }, { name: 'code', valueString: '29463-7' }, { name: 'statistic', valueCode: 'count' }] },
  },
};

async function populationStats(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const input = statsInput(call.params, ctx.clock.now());
  const today = ctx.clock.now();
  const statistics: OutValue[] = [];
  const stratum: OutValue[] = [];
  // Every patient's: the subject is some Patient.
  const patients: Predicate = { kind: 'reference', param: 'subject', type: 'Patient' };
  for (const code of input.codes) {
    // Where the values come from is decided over everyone, then applied to each stratum.
    const sources = await sourcesOf(ctx.data, code, { window: input.window, extra: [patients] });
    for (const source of sources) statistics.push(observationOf(await sourceStats(ctx.data, source, input.statistics, { window: input.window, extra: [patients] }), input.statistics, input.window));
    for (const gender of GENDERS) {
      for (const band of AGE_BANDS) {
        for (const source of sources) {
          call.job.throwIfCancelled();
          const computed = await sourceStats(ctx.data, source, input.statistics, { window: input.window, extra: [patients, stratumPredicate(gender, band, today)] });
          if (!computed.stats.resources) continue;
          stratum.push(
            new OperationParameters(
              new Map<string, OutValue[]>([
                ['gender', [gender]],
                ['ageBand', [band.label]],
                ['statistics', [observationOf(computed, input.statistics, input.window)]],
              ]),
            ),
          );
        }
      }
    }
  }
  return { out: { statistics, ...(stratum.length ? { stratum } : {}) } };
}
