// $lastn (R4 Observation-lastn): `max` (default 1) and the Observation search parameters the
// definition names (patient or subject, category, code, date). The computation is analytics/lastn.ts.
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { lastn, lastnBundle } from '../../analytics/lastn';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

/** More than this per group is not "the last few" any more: a search with _sort answers that. */
const MAX_MAX = 1000;

export const lastnOperation: OperationModule = {
  definition: r4OperationDefinition('Observation-lastn'),
  affectsState: false,
  acceptsSearchParameters: true,
  handler: run,
  example: {
    setup: [{ resourceType: 'Observation', id: 'lastn-example', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/lastn-example' }, effectiveDateTime: '2025-01-01T10:00:00Z' }],
    level: 'type',
    resourceType: 'Observation',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'max', valuePositiveInt: 3 }] },
  },
};

async function run(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const max = call.params.number('max') ?? 1;
  if (max > MAX_MAX) throw errors.invalidParam('max', `must be at most ${MAX_MAX}`);
  const query = call.params.searchParams;
  const found = await lastn(ctx.data, ctx.services.search, { max, query, baseUrl: ctx.baseUrl });
  const qs = new URLSearchParams([['max', String(max)], ...query]).toString();
  return { out: { return: lastnBundle(found, ctx.baseUrl, `${ctx.baseUrl}/Observation/$lastn?${qs}`) } };
}
