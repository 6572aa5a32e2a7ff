// Turns a handler's out-parameters into the answer R4 prescribes (operations.html): the resource
// itself when the only out-parameter is a resource named `return`, a Parameters resource otherwise.
// Undeclared or missing required out-parameters are a bug in the handler, reported as such.
import type { OperationDefinition, OperationDefinitionParameter, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { isPrimitiveType, OperationParameters } from './parameters';
import type { OperationResult, OutValue } from './types';

export class UndeclaredOutputError extends Error {}

export interface OperationAnswer {
  status: number;
  headers: Record<string, string>;
  /** A FHIR resource, or (Bulk Data manifests) plain JSON. */
  body: unknown;
}

export function answerOf(definition: OperationDefinition, result: OperationResult, isResourceType: (t: string) => boolean): OperationAnswer {
  const status = result.status ?? 200;
  const headers = result.headers ?? {};
  if (result.json !== undefined) return { status, headers, body: result.json };
  const outs = (definition.parameter ?? []).filter((p) => p.use === 'out');
  const values = result.out ?? {};
  checkDeclared(definition, outs, values);
  const isResource = (d: OperationDefinitionParameter) => d.type === 'Resource' || (d.type !== undefined && isResourceType(d.type));
  if (outs.length === 1 && outs[0].name === 'return' && isResource(outs[0])) {
    return { status, headers, body: values.return as Resource };
  }
  const parameters: Parameters = { resourceType: 'Parameters', parameter: parameterList(outs, values, isResource) };
  return { status, headers, body: parameters };
}

function checkDeclared(definition: OperationDefinition, outs: OperationDefinitionParameter[], values: Record<string, unknown>): void {
  for (const name of Object.keys(values)) {
    if (values[name] !== undefined && !outs.some((o) => o.name === name)) {
      throw new UndeclaredOutputError(`$${definition.code} returned '${name}', which its definition does not declare`);
    }
  }
  for (const o of outs) {
    const v = values[o.name!];
    const n = v === undefined ? 0 : Array.isArray(v) ? v.length : 1;
    if (n < (o.min ?? 0)) throw new UndeclaredOutputError(`$${definition.code} did not return the required '${o.name}'`);
    const max = o.max === '*' || o.max === undefined ? Infinity : Number(o.max);
    if (n > max) throw new UndeclaredOutputError(`$${definition.code} returned '${o.name}' ${n} times (at most ${max})`);
  }
}

function parameterList(defs: OperationDefinitionParameter[], values: Record<string, unknown>, isResource: (d: OperationDefinitionParameter) => boolean): ParametersParameter[] {
  const out: ParametersParameter[] = [];
  for (const def of defs) {
    const v = values[def.name!];
    if (v === undefined) continue;
    for (const item of (Array.isArray(v) ? v : [v]) as OutValue[]) out.push(parameterOf(def, item, isResource));
  }
  return out;
}

function parameterOf(def: OperationDefinitionParameter, value: OutValue, isResource: (d: OperationDefinitionParameter) => boolean): ParametersParameter {
  const name = def.name!;
  if (def.part?.length) {
    const parts = value instanceof OperationParameters ? Object.fromEntries(value.names().map((n) => [n, value.all(n)])) : (value as Record<string, unknown>);
    return { name, part: parameterList(def.part, parts, isResource) };
  }
  if (isResource(def)) return { name, resource: value as Resource };
  const type = def.type ?? 'string';
  // An out-parameter of any type (R4 writes `Element`, e.g. $lookup's property.value): the handler
  // gives the typed value as `{ valueCode: … }`.
  if (type === 'Element' && typeof value === 'object' && value !== null) {
    const typed = Object.entries(value).filter(([k]) => k.startsWith('value'));
    if (typed.length === 1) return { name, [typed[0][0]]: typed[0][1] } as ParametersParameter;
  }
  const key = `value${type[0].toUpperCase()}${type.slice(1)}`;
  if (isPrimitiveType(type) && typeof value === 'object') throw new UndeclaredOutputError(`'${name}' must be a ${type}, not an object`);
  return { name, [key]: value } as ParametersParameter;
}
