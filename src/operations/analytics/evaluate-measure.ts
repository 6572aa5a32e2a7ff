// $evaluate-measure (R4 Measure-evaluate-measure) at the instance level (`Measure/[id]/…`) and the
// type level (`Measure/$evaluate-measure?measure=…`: the Measure's id, `Measure/id` or canonical
// URL). Proportion and continuous-variable measures, stratifiers, `subject` and `practitioner`,
// computed in the database (analytics/measure.ts); reportType population, subject or subject-list.
import type { Measure } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { parseStoredJson } from '../../fhir/json';
import { evaluateMeasure } from '../../analytics/measure';
import { dateRange } from '../../search/normalise';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

const REPORT_TYPES = ['subject', 'subject-list', 'population'] as const;

export const evaluateMeasureOperation: OperationModule = {
  definition: r4OperationDefinition('Measure-evaluate-measure'),
  affectsState: false,
  async: 'allowed',
  handler: run,
  example: {
    setup: [
      {
        resourceType: 'Measure',
        id: 'evaluate-measure-example',
        url: 'http://example.org/Measure/evaluate-measure-example',
        status: 'active',
        scoring: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-scoring', code: 'proportion' }] },
        group: [
          {
            population: [
              { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'initial-population' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Patient?' } },
              { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/measure-population', code: 'numerator' }] }, criteria: { language: 'application/x-fhir-query', expression: 'Patient?gender=female' } },
            ],
          },
        ],
      } as Measure,
    ],
    level: 'instance',
    resourceType: 'Measure',
    id: 'evaluate-measure-example',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'periodStart', valueDate: '2025-01-01' }, { name: 'periodEnd', valueDate: '2025-12-31' }] },
  },
};

async function run(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const { params, target } = call;
  const periodStart = params.string('periodStart')!;
  const periodEnd = params.string('periodEnd')!;
  if (dateRange(periodStart)![0] >= dateRange(periodEnd)![1]) throw errors.invalidParam('periodStart', `${periodStart} is after periodEnd ${periodEnd}`);
  const subject = params.string('subject');
  const reportType = (params.string('reportType') ?? (subject ? 'subject' : 'population')) as (typeof REPORT_TYPES)[number];
  if (!REPORT_TYPES.includes(reportType)) throw errors.invalidParam('reportType', `'${reportType.slice(0, 40)}' is not one of ${REPORT_TYPES.join(', ')}`);
  if (reportType === 'subject' && !subject) throw errors.invalidParam('subject', 'is required for reportType subject');
  const measure = target.current ? (parseStoredJson(target.current.json!) as Measure) : await findMeasure(ctx, params.string('measure'));
  const report = await evaluateMeasure(ctx.data, ctx.services.search, measure, { periodStart, periodEnd, reportType, subject, practitioner: params.string('practitioner'), baseUrl: ctx.baseUrl, now: ctx.clock.now(), checkpoint: () => call.job.throwIfCancelled() });
  return { out: { return: report } };
}

/** Type level: the Measure by id, `Measure/id` or canonical URL (`|version` allowed), through the door. */
async function findMeasure(ctx: RequestContext, reference: string | undefined): Promise<Measure> {
  if (!reference) throw errors.invalidParam('measure', 'is required at the type level (or call Measure/[id]/$evaluate-measure)');
  const local = /^(?:Measure\/)?([A-Za-z0-9\-.]{1,64})$/.exec(reference);
  if (local) {
    const v = await ctx.data.read('Measure', local[1]);
    if (v && !v.deleted) return parseStoredJson(v.json!) as Measure;
  } else {
    const [url, version] = reference.split('|');
    const found = await ctx.data.search({
      resourceTypes: ['Measure'],
      where: [{ kind: 'uri', param: 'url', match: 'exact', value: url }, ...(version ? [{ kind: 'token' as const, param: 'version', code: version }] : [])],
      sort: [],
      count: 2,
      total: 'none',
      include: [],
      revinclude: [],
    });
    if (found.matches.length > 1) throw errors.invalidParam('measure', `'${reference.slice(0, 100)}' names several Measures: add |version`);
    if (found.matches.length) return parseStoredJson(found.matches[0].json!) as Measure;
  }
  throw errors.invalidParam('measure', `there is no Measure '${reference.slice(0, 100)}'`);
}
