// CodeSystem/$validate-code and ValueSet/$validate-code (R4 CodeSystem-validate-code,
// ValueSet-validate-code): is a code (code/system, Coding or CodeableConcept) in the code system or
// value set, and is its display right. A code the server cannot judge (a value set drawing on a
// code system it does not hold) answers result=false with a message that says so.
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { CodeSystemIndex, type CodeSystemResource } from '../../terminology/code-system';
import type { Coding, ValidateCodeResult } from '../../terminology/service';
import type { ValueSetResource } from '../../terminology/value-set';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { codingFrom, instanceResource, instanceUrl, knownOrRefreshed, terminologyOf, unknownParam } from './common';

export const codeSystemValidateCodeOperation: OperationModule = {
  definition: r4OperationDefinition('CodeSystem-validate-code'),
  affectsState: false,
  handler: validateInCodeSystem,
  example: {
    level: 'type',
    resourceType: 'CodeSystem',
    parameters: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: 'http://hl7.org/fhir/administrative-gender' },
        { name: 'code', valueCode: 'male' },
        { name: 'display', valueString: 'Male' },
      ],
    },
  },
};

export const valueSetValidateCodeOperation: OperationModule = {
  definition: r4OperationDefinition('ValueSet-validate-code'),
  affectsState: false,
  handler: validateInValueSet,
  example: {
    level: 'type',
    resourceType: 'ValueSet',
    parameters: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'url', valueUri: 'http://hl7.org/fhir/ValueSet/administrative-gender' },
        { name: 'system', valueUri: 'http://hl7.org/fhir/administrative-gender' },
        { name: 'code', valueCode: 'other' },
      ],
    },
  },
};

/** The codings to check, from whichever of code, coding or codeableConcept was given. */
function codingsOf(call: OperationCall, system: string | undefined, version: string | undefined): Coding[] {
  const cc = call.params.get<{ coding?: Coding[] }>('codeableConcept');
  if (cc && typeof cc === 'object') {
    const list = (cc.coding ?? []).filter((c) => c.code);
    if (!list.length) throw errors.invalidParam('codeableConcept', 'has no coding with a code');
    return list;
  }
  const c = codingFrom(call, { code: 'code', system: 'system', coding: 'coding', display: 'display' });
  if (!c?.code) throw errors.invalidParam('code', 'is required: give code, coding or codeableConcept');
  return [{ ...c, ...(system && !c.system ? { system } : {}), ...(version && !c.version ? { version } : {}) }];
}

function answer(r: ValidateCodeResult): OperationResult {
  const message = r.result === undefined ? `Not validated: ${r.message ?? 'the server cannot judge this code'}` : r.message;
  return { out: { result: r.result === true, ...(message ? { message } : {}), ...(r.display ? { display: r.display } : {}) } };
}

async function validateInCodeSystem(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const posted = call.params.resource('codeSystem') as unknown as CodeSystemResource | undefined;
  const url = instanceUrl(call) ?? call.params.string('url') ?? posted?.url;
  const version = call.params.string('version');
  const codings = codingsOf(call, url, version);
  const terminology = await terminologyOf(ctx);
  if (posted || call.target.level === 'instance') {
    // A code system given in the call (or the stored instance) is judged as given, registry aside.
    const cs = new CodeSystemIndex(posted ?? instanceResource<CodeSystemResource>(call)!);
    return answer(checkInIndex(cs, codings));
  }
  if (!url) throw errors.invalidParam('url', 'is required: the code system to validate against (or POST it as codeSystem)');
  if (!(await knownOrRefreshed(ctx, () => !!terminology.codeSystem(version ? `${url}|${version}` : url)))) throw unknownParam('url', `the code system ${url}`);
  for (const c of codings) if (c.system && c.system !== url) return answer({ result: false, message: `The coding's system ${c.system} is not the code system ${url}` });
  return answer(terminology.validateCode({ codeableConcept: { coding: codings.map((c) => ({ ...c, system: url })) } }));
}

function checkInIndex(cs: CodeSystemIndex, codings: Coding[]): ValidateCodeResult {
  const problems: string[] = [];
  for (const c of codings) {
    if (c.system && c.system !== cs.url) {
      problems.push(`The coding's system ${c.system} is not the code system ${cs.url}`);
      continue;
    }
    const concept = cs.get(c.code!);
    if (!concept) {
      if (!cs.complete) return { result: undefined, message: `the code system ${cs.url} is only a ${cs.resource.content ?? 'partial'} copy` };
      problems.push(`Unknown code '${c.code}' in the code system ${cs.url}`);
      continue;
    }
    const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
    const ok = !c.display || (concept.display !== undefined && norm(concept.display) === norm(c.display)) || concept.designation.some((d) => norm(d.value) === norm(c.display!));
    return { result: true, display: concept.display, ...(ok ? {} : { message: `The display '${c.display}' is not the display of ${cs.url}|${concept.code} ('${concept.display ?? ''}')` }) };
  }
  return { result: false, message: problems.join('; ') };
}

async function validateInValueSet(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const posted = call.params.resource('valueSet') as unknown as ValueSetResource | undefined;
  const stored = instanceResource<ValueSetResource>(call);
  const url = call.params.string('url');
  const codings = codingsOf(call, undefined, call.params.string('systemVersion'));
  const terminology = await terminologyOf(ctx);
  const valueSet = posted ?? stored;
  if (!valueSet) {
    if (!url) throw errors.invalidParam('url', 'is required: the value set to validate against (or POST it as valueSet, or call on a ValueSet instance)');
    if (!(await knownOrRefreshed(ctx, () => !!terminology.valueSet(url)))) throw unknownParam('url', `the value set ${url}`);
  }
  return answer(terminology.validateCode({ url: valueSet ? undefined : url, valueSet, codeableConcept: { coding: codings } }));
}
