// $everything (R4 Patient-everything) at the instance level (`Patient/[id]/$everything`) and the
// type level (`Patient/$everything`, every patient): the computation is analytics/everything.ts;
// this module checks the parameters and answers the searchset page. The R4 definition gains one
// server parameter, `_cursor`, the page token the `next` links carry (R4 leaves paging of the
// operation to the server; a keyset token keeps pages stable while data changes).
import type { OperationDefinition } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { everythingBundle, everythingPage } from '../../analytics/everything';
import { dateRange } from '../../search/normalise';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

function definition(): OperationDefinition {
  const def = r4OperationDefinition('Patient-everything');
  // R4's definition has `_offset` in some builds; offsets are not stable under writes, so this
  // server pages by token only.
  def.parameter = (def.parameter ?? []).filter((p) => p.name !== '_offset');
  const out = def.parameter.findIndex((p) => p.use === 'out');
  def.parameter.splice(out, 0, {
    name: '_cursor',
    use: 'in',
    min: 0,
    max: '1',
    type: 'string',
    documentation: 'Server-specific: the page token of a `next` link (pages are stable: keyset paging, one type after another).',
  });
  return def;
}

export const everythingOperation: OperationModule = {
  definition: definition(),
  affectsState: false,
  handler: everything,
  example: {
    setup: [
      { resourceType: 'Patient', id: 'everything-example' },
      { resourceType: 'Observation', id: 'everything-example-obs', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/everything-example' } },
    ],
    level: 'instance',
    resourceType: 'Patient',
    id: 'everything-example',
  },
};

async function everything(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const { params, target } = call;
  const { search } = ctx.services;
  const start = params.string('start');
  const end = params.string('end');
  const since = params.string('_since');
  for (const [name, value] of [['start', start], ['end', end], ['_since', since]] as const) {
    if (value !== undefined && !dateRange(value)) throw errors.invalidParam(name, `'${value.slice(0, 40)}' is not a valid date`);
  }
  if (start && end && dateRange(start)![0] >= dateRange(end)![1]) throw errors.invalidParam('start', `${start} is after end ${end}`);
  const types = params.all<string>('_type').flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  for (const t of types) if (!search.registry.resourceTypes.has(t)) throw errors.invalidParam('_type', `'${t.slice(0, 64)}' is not an R4 resource type`);
  const requested = params.number('_count');
  if (requested !== undefined && requested < 1) throw errors.invalidParam('_count', 'must be at least 1');
  const count = Math.min(requested ?? search.defaultCount, search.maxCount);
  const cursor = params.string('_cursor');
  const page = await everythingPage(ctx.data, search, { patientId: target.id, start, end, since, types, count, cursor });
  const path = target.id ? `Patient/${target.id}/$everything` : 'Patient/$everything';
  const query: Array<[string, string]> = [];
  if (start) query.push(['start', start]);
  if (end) query.push(['end', end]);
  if (since) query.push(['_since', since]);
  if (types.length) query.push(['_type', types.join(',')]);
  query.push(['_count', String(count)]);
  return { out: { return: everythingBundle(page, ctx.baseUrl, path, query, cursor) } };
}
