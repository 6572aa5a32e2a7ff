// ConceptMap/$translate (R4 ConceptMap-translate): the codes a concept map gives for a source code
// (forwards, or with `reverse` backwards), from one map (url, POSTed conceptMap, or the instance)
// or from every map the server knows.
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import type { ConceptMapResource } from '../../terminology/concept-map';
import type { Coding } from '../../terminology/service';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { codingFrom, instanceResource, knownOrRefreshed, terminologyOf, unknownParam } from './common';

export const translateOperation: OperationModule = {
  definition: r4OperationDefinition('ConceptMap-translate'),
  affectsState: false,
  handler: run,
  example: {
    level: 'type',
    resourceType: 'ConceptMap',
    parameters: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: 'http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2' },
        { name: 'system', valueUri: 'http://hl7.org/fhir/administrative-gender' },
        { name: 'code', valueCode: 'female' },
      ],
    },
  },
};

async function run(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const p = call.params;
  let coding = codingFrom(call, { code: 'code', system: 'system', version: 'version', coding: 'coding' });
  const cc = p.get<{ coding?: Coding[] }>('codeableConcept');
  if (!coding && cc && typeof cc === 'object') coding = (cc.coding ?? []).find((c) => c.code);
  if (!coding?.code) throw errors.invalidParam('code', 'is required: give code and system, coding or codeableConcept');
  const conceptMap = (p.resource('conceptMap') as unknown as ConceptMapResource | undefined) ?? instanceResource<ConceptMapResource>(call);
  const url = p.string('url');
  const terminology = await terminologyOf(ctx);
  if (url && !conceptMap) await knownOrRefreshed(ctx, () => !!ctx.services.core.validator.registry.resolve('ConceptMap', url));
  let result;
  try {
    result = terminology.translate({
      url: conceptMap ? undefined : url,
      conceptMap,
      system: coding.system,
      code: coding.code,
      source: p.string('source'),
      target: p.string('target'),
      targetSystem: p.string('targetsystem'),
      reverse: p.boolean('reverse'),
    });
  } catch (e) {
    if (url && (e as { errorCode?: string }).errorCode === 'NOT_FOUND') throw unknownParam('url', `the concept map ${url}`);
    throw e;
  }
  return {
    out: {
      result: result.result,
      ...(result.message ? { message: result.message } : {}),
      match: result.match.map((m) => ({ equivalence: m.equivalence, concept: m.concept, ...(m.source ? { source: m.source } : {}) })),
    },
  };
}
