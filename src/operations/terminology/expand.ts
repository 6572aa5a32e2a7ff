// ValueSet/$expand (R4 ValueSet-expand): the codes of a value set — named by url, POSTed as a
// ValueSet, or the stored instance — with a text filter, paging (count/offset), designations and
// active-only; the hierarchy of the code systems is kept as nested `contains` when not paged.
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { MAX_EXPANSION } from '../../terminology/service';
import type { ValueSetResource } from '../../terminology/value-set';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { instanceResource, knownOrRefreshed, terminologyOf, unknownParam } from './common';

export const expandOperation: OperationModule = {
  definition: r4OperationDefinition('ValueSet-expand'),
  affectsState: false,
  handler: run,
  example: {
    level: 'type',
    resourceType: 'ValueSet',
    parameters: {
      resourceType: 'Parameters',
      parameter: [
        {
          name: 'valueSet',
          resource: {
            resourceType: 'ValueSet',
            url: 'http://example.org/fhir/ValueSet/gender-subset',
            status: 'active',
            compose: { include: [{ system: 'http://hl7.org/fhir/administrative-gender', concept: [{ code: 'female' }, { code: 'male' }] }] },
          },
        },
        { name: 'count', valueInteger: 10 },
      ],
    },
  },
};

async function run(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const p = call.params;
  const count = p.number('count');
  const offset = p.number('offset');
  if (count !== undefined && (count < 0 || count > MAX_EXPANSION)) throw errors.invalidParam('count', `must be between 0 and ${MAX_EXPANSION}`);
  if (offset !== undefined && offset < 0) throw errors.invalidParam('offset', 'must not be negative');
  const posted = p.resource('valueSet') as unknown as ValueSetResource | undefined;
  const valueSet = posted ?? instanceResource<ValueSetResource>(call);
  const version = p.string('valueSetVersion');
  const url = p.string('url');
  const terminology = await terminologyOf(ctx);
  if (!valueSet) {
    if (!url) throw errors.invalidParam('url', 'is required: the value set to expand (or POST it as valueSet, or call on a ValueSet instance)');
    if (!(await knownOrRefreshed(ctx, () => !!terminology.valueSet(version ? `${url}|${version}` : url)))) throw unknownParam('url', `the value set ${url}${version ? ` version ${version}` : ''}`);
  }
  const expanded = terminology.expand({
    url: valueSet ? undefined : version ? `${url}|${version}` : url,
    valueSet,
    filter: p.string('filter'),
    count,
    offset,
    includeDesignations: p.boolean('includeDesignations'),
    activeOnly: p.boolean('activeOnly'),
    excludeNested: p.boolean('excludeNested'),
  });
  return { out: { return: expanded as unknown as object } };
}
