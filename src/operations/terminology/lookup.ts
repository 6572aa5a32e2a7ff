// CodeSystem/$lookup (R4 CodeSystem-lookup): a code's display, definition, designations and
// properties (parent/child in the hierarchy, and the concept's own properties), from a code system
// bundled with the server or stored by a client.
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { codingFrom, knownOrRefreshed, terminologyOf, unknownParam } from './common';

export const lookupOperation: OperationModule = {
  definition: r4OperationDefinition('CodeSystem-lookup'),
  affectsState: false,
  handler: run,
  example: {
    level: 'type',
    resourceType: 'CodeSystem',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'system', valueUri: 'http://hl7.org/fhir/administrative-gender' }, { name: 'code', valueCode: 'female' }] },
  },
};

async function run(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const coding = codingFrom(call, { code: 'code', system: 'system', version: 'version', coding: 'coding' });
  if (!coding?.code) throw errors.invalidParam('code', 'is required: give code and system, or coding');
  if (!coding.system) throw errors.invalidParam('system', 'is required with code (the code system to look the code up in)');
  const terminology = await terminologyOf(ctx);
  const ref = coding.version ? `${coding.system}|${coding.version}` : coding.system;
  if (!(await knownOrRefreshed(ctx, () => !!terminology.codeSystem(ref)))) throw unknownParam('system', `the code system ${ref}`);
  const cs = terminology.codeSystem(ref)!;
  const found = terminology.lookup({ system: coding.system, code: coding.code, version: coding.version });
  const concept = cs.get(coding.code)!;
  const wanted = new Set(call.params.all<string>('property'));
  const want = (code: string) => !wanted.size || wanted.has(code);
  const property: Array<Record<string, unknown>> = [];
  for (const p of concept.parents) if (want('parent')) property.push({ code: 'parent', value: { valueCode: p } });
  for (const c of concept.children) if (want('child')) property.push({ code: 'child', value: { valueCode: c } });
  for (const p of concept.property) {
    if (!want(p.code)) continue;
    const typed = Object.entries(p).find(([k]) => k.startsWith('value'));
    if (typed) property.push({ code: p.code, value: { [typed[0]]: typed[1] } });
  }
  if (concept.inactive && want('inactive') && !concept.property.some((p) => p.code === 'inactive')) property.push({ code: 'inactive', value: { valueBoolean: true } });
  return {
    out: {
      name: found.name,
      version: found.version,
      // R4 requires a display; a concept without one is shown by its code.
      display: found.display ?? concept.code,
      designation: found.designation.map((d) => ({ ...(d.language ? { language: d.language } : {}), ...(d.use ? { use: d.use } : {}), value: d.value })),
      property,
    },
  };
}
