// CodeSystem/$subsumes (R4 CodeSystem-subsumes): how two codes of one code system relate in its
// is-a hierarchy — equivalent, subsumes, subsumed-by or not-subsumed.
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { codingFrom, instanceUrl, knownOrRefreshed, terminologyOf, unknownParam } from './common';

export const subsumesOperation: OperationModule = {
  definition: r4OperationDefinition('CodeSystem-subsumes'),
  affectsState: false,
  handler: run,
  example: {
    level: 'type',
    resourceType: 'CodeSystem',
    parameters: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'system', valueUri: 'http://terminology.hl7.org/CodeSystem/v3-ActCode' },
        { name: 'codeA', valueCode: '_ActEncounterCode' },
        { name: 'codeB', valueCode: 'AMB' },
      ],
    },
  },
};

async function run(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const a = codingFrom(call, { code: 'codeA', coding: 'codingA' });
  const b = codingFrom(call, { code: 'codeB', coding: 'codingB' });
  if (!a?.code) throw errors.invalidParam('codeA', 'is required (or codingA)');
  if (!b?.code) throw errors.invalidParam('codeB', 'is required (or codingB)');
  const system = instanceUrl(call) ?? call.params.string('system') ?? a.system ?? b.system;
  if (!system) throw errors.invalidParam('system', 'is required: the code system both codes belong to');
  for (const [name, c] of [['codingA', a], ['codingB', b]] as const) {
    if (c.system && c.system !== system) throw errors.invalidParam(name, `is from ${c.system}, not from the code system ${system}`);
  }
  const version = call.params.string('version');
  const terminology = await terminologyOf(ctx);
  if (!(await knownOrRefreshed(ctx, () => !!terminology.codeSystem(version ? `${system}|${version}` : system)))) throw unknownParam('system', `the code system ${system}`);
  return { out: { outcome: terminology.subsumes({ system, version, codeA: a.code, codeB: b.code }) } };
}
