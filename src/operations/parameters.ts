// Parses and checks the in-parameters of an operation call against its OperationDefinition, once,
// for every operation (R4 operations.html): from the query string (GET, or URL parameters of a
// POST), from a Parameters body, or from a bare resource when the operation has exactly one
// resource in-parameter. Unknown names, missing required parameters, repeated single ones and
// values of the wrong type answer 400 naming the parameter; handlers receive checked values only.
import type { OperationDefinition, OperationDefinitionParameter, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import { errors, type FhirError } from '../fhir/errors';
import { dateRange } from '../search/normalise';
import { lookupTable } from '../lookup-table';

/** A checked value: primitives as JS values (numbers for integer/decimal, booleans), complex
 * datatypes and resources as their JSON objects, nested `part`s as OperationParameters. */
export type ParameterValue = string | number | boolean | object | Resource | OperationParameters;

/** Parameters about the HTTP exchange that every FHIR URL may carry; never operation input. */
const HTTP_PARAMS = new Set(['_format', '_pretty']);

export const PRIMITIVE_PATTERNS: Record<string, RegExp> = lookupTable({
  boolean: /^(true|false)$/,
  integer: /^-?(0|[1-9][0-9]{0,9})$/,
  positiveInt: /^\+?[1-9][0-9]{0,9}$/,
  unsignedInt: /^(0|[1-9][0-9]{0,9})$/,
  decimal: /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/,
  date: /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$/,
  dateTime:
    /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/,
  instant:
    /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/,
  time: /^([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?$/,
  code: /^[^\s]+( [^\s]+)*$/,
  id: /^[A-Za-z0-9\-.]{1,64}$/,
  uri: /^\S*$/,
  url: /^\S*$/,
  canonical: /^\S*$/,
  oid: /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/,
  uuid: /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  string: /^[\s\S]+$/,
  markdown: /^[\s\S]+$/,
  base64Binary: /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/,
});

/** Primitive types whose values are text: a client may send any of them as another (valueString
 * for a code is common); the value is still checked against the declared type. */
const TEXT_TYPES = new Set(['string', 'markdown', 'code', 'id', 'uri', 'url', 'canonical', 'oid', 'uuid']);
const CALENDAR_TYPES = new Set(['date', 'dateTime', 'instant']);
const NUMBER_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt', 'decimal']);

export function isPrimitiveType(type: string | undefined): boolean {
  return type !== undefined && type in PRIMITIVE_PATTERNS;
}

function capitalise(type: string): string {
  return type[0].toUpperCase() + type.slice(1);
}

/** The checked in-parameters of one call, with typed accessors for handlers. */
export class OperationParameters {
  constructor(
    private readonly values: Map<string, ParameterValue[]>,
    /** Search parameters of the resource type, for operations that accept them (e.g. $lastn). */
    readonly searchParams: Array<[string, string]> = [],
  ) {}

  has(name: string): boolean {
    return (this.values.get(name)?.length ?? 0) > 0;
  }

  names(): string[] {
    return [...this.values.keys()];
  }

  all<T extends ParameterValue = ParameterValue>(name: string): T[] {
    return (this.values.get(name) ?? []) as T[];
  }

  get<T extends ParameterValue = ParameterValue>(name: string): T | undefined {
    return this.values.get(name)?.[0] as T | undefined;
  }

  string(name: string): string | undefined {
    const v = this.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  number(name: string): number | undefined {
    const v = this.get(name);
    return typeof v === 'number' ? v : undefined;
  }

  boolean(name: string): boolean | undefined {
    const v = this.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }

  resource<T extends Resource = Resource>(name: string): T | undefined {
    const v = this.get(name);
    return v && typeof v === 'object' && !(v instanceof OperationParameters) ? (v as T) : undefined;
  }

  /** The values as a Parameters resource again (jobs persist the request this way). */
  toParameters(definition: OperationDefinition, options: Pick<ParseOptions, 'isResourceType'>): Parameters {
    return { resourceType: 'Parameters', parameter: toParameterList(this, inParameters(definition.parameter ?? []), options) };
  }
}

function inParameters(defs: OperationDefinitionParameter[]): OperationDefinitionParameter[] {
  return defs.filter((d) => d.use === 'in');
}

function toParameterList(params: OperationParameters, defs: OperationDefinitionParameter[], options: Pick<ParseOptions, 'isResourceType'>): ParametersParameter[] {
  const out: ParametersParameter[] = [];
  for (const def of defs) {
    for (const value of params.all(def.name!)) {
      if (value instanceof OperationParameters) out.push({ name: def.name!, part: toParameterList(value, def.part ?? [], options) });
      else if (isResourceParam(def, options) && typeof value === 'object') out.push({ name: def.name!, resource: value as Resource });
      else out.push({ name: def.name!, [`value${capitalise(def.type ?? 'string')}`]: value } as ParametersParameter);
    }
  }
  for (const [name, value] of params.searchParams) out.push({ name, valueString: value });
  return out;
}

export interface ParseOptions {
  /** Whether a parameter type names a resource type (the R4 definitions tell). */
  isResourceType: (type: string) => boolean;
  /** Accept search parameters of the target type besides the declared parameters. */
  acceptsSearchParameters?: boolean;
}

function isResourceParam(def: OperationDefinitionParameter, options: Pick<ParseOptions, 'isResourceType'>): boolean {
  const t = def.type;
  return t === 'Resource' || (t !== undefined && options.isResourceType(t));
}

function paramError(name: string, why: string): FhirError {
  return errors.invalidParam(name, why);
}

/**
 * Values from URL query pairs. Primitive parameters take the text; a Coding may be given as
 * `system|code` and a Reference as its literal reference, as clients do in search URLs;
 * any other complex or resource parameter cannot travel in a URL.
 */
export function parametersFromQuery(definition: OperationDefinition, pairs: Array<[string, string]>, options: ParseOptions): OperationParameters {
  const defs = inParameters(definition.parameter ?? []);
  const values = new Map<string, ParameterValue[]>();
  const search: Array<[string, string]> = [];
  for (const [name, text] of pairs) {
    if (HTTP_PARAMS.has(name)) continue;
    const def = defs.find((d) => d.name === name);
    if (!def) {
      if (options.acceptsSearchParameters) {
        search.push([name, text]);
        continue;
      }
      throw unknownParameter(definition, name);
    }
    values.set(name, [...(values.get(name) ?? []), valueFromText(def, text)]);
  }
  checkCardinality(defs, values, '');
  return new OperationParameters(values, search);
}

function valueFromText(def: OperationDefinitionParameter, text: string): ParameterValue {
  const name = def.name!;
  const type = def.type;
  if (def.part?.length) throw paramError(name, 'has parts and cannot be given in the URL; POST a Parameters resource');
  if (isPrimitiveType(type)) return primitive(name, type!, text);
  if (type === 'Coding') {
    const bar = text.indexOf('|');
    if (bar < 0) throw paramError(name, `give a Coding as system|code, not '${text.slice(0, 80)}'`);
    return { ...(bar > 0 ? { system: text.slice(0, bar) } : {}), code: text.slice(bar + 1) };
  }
  if (type === 'Reference') return { reference: text };
  throw paramError(name, `is of type ${type ?? 'unknown'} and cannot be given in the URL; POST a Parameters resource`);
}

function primitive(name: string, type: string, text: string): string | number | boolean {
  const pattern = PRIMITIVE_PATTERNS[type];
  if (!pattern.test(text)) throw paramError(name, `'${text.slice(0, 80)}' is not a valid ${type}`);
  // The patterns accept e.g. 2025-02-30; handlers may rely on every date being a calendar date.
  if (CALENDAR_TYPES.has(type) && !dateRange(text)) throw paramError(name, `'${text.slice(0, 80)}' is not a calendar ${type}`);
  if (type === 'boolean') return text === 'true';
  if (NUMBER_TYPES.has(type)) {
    const n = Number(text);
    if (!Number.isFinite(n)) throw paramError(name, `'${text.slice(0, 80)}' is out of range for ${type}`);
    if (type !== 'decimal' && !Number.isSafeInteger(n)) throw paramError(name, `'${text.slice(0, 80)}' is out of range for ${type}`);
    if (type === 'integer' && (n < -2147483648 || n > 2147483647)) throw paramError(name, `'${text}' is out of range for a 32-bit integer`);
    return n;
  }
  return text;
}

/** Values from a Parameters resource (POST body or Bundle entry). */
export function parametersFromResource(definition: OperationDefinition, body: Parameters, options: ParseOptions): OperationParameters {
  return fromParameterList(definition, inParameters(definition.parameter ?? []), body.parameter ?? [], '', options);
}

function fromParameterList(
  definition: OperationDefinition,
  defs: OperationDefinitionParameter[],
  list: ParametersParameter[],
  path: string,
  options: ParseOptions,
): OperationParameters {
  if (!Array.isArray(list)) throw paramError('parameter', 'Parameters.parameter must be an array');
  const values = new Map<string, ParameterValue[]>();
  const search: Array<[string, string]> = [];
  for (const p of list) {
    const name = p?.name;
    if (typeof name !== 'string' || !name) throw errors.badRequest('every Parameters.parameter needs a name', ['Parameters.parameter.name']);
    const qualified = path ? `${path}.${name}` : name;
    const def = defs.find((d) => d.name === name);
    if (!def) {
      if (!path && options.acceptsSearchParameters && typeof p.valueString === 'string') {
        search.push([name, p.valueString]);
        continue;
      }
      throw path ? paramError(qualified, `is not a part of ${path}`) : unknownParameter(definition, name);
    }
    values.set(name, [...(values.get(name) ?? []), valueFromParameter(definition, def, p, qualified, options)]);
  }
  checkCardinality(defs, values, path);
  return new OperationParameters(values, search);
}

function valueFromParameter(
  definition: OperationDefinition,
  def: OperationDefinitionParameter,
  p: ParametersParameter,
  name: string,
  options: ParseOptions,
): ParameterValue {
  const valueKeys = Object.keys(p).filter((k) => k.startsWith('value'));
  const forms = valueKeys.length + (p.resource !== undefined ? 1 : 0) + (p.part !== undefined ? 1 : 0);
  if (forms !== 1) throw paramError(name, 'needs exactly one of value[x], resource or part');
  if (def.part?.length) {
    if (!p.part) throw paramError(name, 'needs parts (part), not a value');
    return fromParameterList(definition, def.part, p.part, name, options);
  }
  if (isResourceParam(def, options)) {
    const r = p.resource as Resource | undefined;
    if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') throw paramError(name, `needs a resource (${def.type})`);
    if (def.type !== 'Resource' && def.type !== 'Any' && r.resourceType !== def.type) throw paramError(name, `needs a ${def.type}, not a ${r.resourceType}`);
    return r;
  }
  if (p.resource !== undefined || p.part !== undefined) throw paramError(name, `needs a value of type ${def.type}`);
  const key = valueKeys[0];
  const given = key.slice('value'.length);
  const value = (p as unknown as Record<string, unknown>)[key];
  const type = def.type ?? 'string';
  if (isPrimitiveType(type)) {
    const givenType = given[0].toLowerCase() + given.slice(1);
    const compatible = givenType === type || (TEXT_TYPES.has(type) && TEXT_TYPES.has(givenType));
    if (!compatible) throw paramError(name, `needs value${capitalise(type)}, not ${key}`);
    if (typeof value === 'boolean' || typeof value === 'number') {
      if (type === 'boolean' ? typeof value !== 'boolean' : !NUMBER_TYPES.has(type) || typeof value !== 'number') throw paramError(name, `has a value of the wrong JSON type for ${type}`);
      return primitive(name, type, String(value));
    }
    if (typeof value !== 'string') throw paramError(name, `needs a ${type} value`);
    if (type === 'boolean' || NUMBER_TYPES.has(type)) throw paramError(name, `a ${type} is a JSON ${type === 'boolean' ? 'boolean' : 'number'}, not a string`);
    return primitive(name, type, value);
  }
  if (given !== type) throw paramError(name, `needs value${type}, not ${key}`);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw paramError(name, `needs a ${type} object`);
  return value as Record<string, unknown>;
}

function checkCardinality(defs: OperationDefinitionParameter[], values: Map<string, ParameterValue[]>, path: string): void {
  for (const def of defs) {
    const n = values.get(def.name!)?.length ?? 0;
    const name = path ? `${path}.${def.name}` : def.name!;
    if (n < (def.min ?? 0)) throw paramError(name, `is required${(def.min ?? 0) > 1 ? ` ${def.min} times` : ''}`);
    const max = def.max === '*' || def.max === undefined ? Infinity : Number(def.max);
    if (n > max) throw paramError(name, `may be given at most ${max} time${max === 1 ? '' : 's'}`);
  }
}

function unknownParameter(definition: OperationDefinition, name: string): FhirError {
  const known = inParameters(definition.parameter ?? []).map((d) => d.name);
  return paramError(name.slice(0, 80), `is not a parameter of $${definition.code}${known.length ? ` (known: ${known.join(', ')})` : ' (it takes none)'}`);
}

/** The one in-parameter that takes a resource, when there is exactly one (a bare resource may be
 * POSTed instead of Parameters then). */
export function soleResourceParameter(definition: OperationDefinition, options: Pick<ParseOptions, 'isResourceType'>): OperationDefinitionParameter | undefined {
  const resources = inParameters(definition.parameter ?? []).filter((d) => isResourceParam(d, options));
  return resources.length === 1 ? resources[0] : undefined;
}

/** Values from a bare resource body bound to the operation's resource parameter, plus URL pairs. */
export function parametersFromBareResource(
  definition: OperationDefinition,
  resource: Resource,
  pairs: Array<[string, string]>,
  options: ParseOptions,
): OperationParameters {
  const def = soleResourceParameter(definition, options);
  if (!def) throw errors.badRequest(`$${definition.code} takes a Parameters resource as its body, not a ${resource.resourceType}`);
  if (def.type !== 'Resource' && def.type !== 'Any' && resource.resourceType !== def.type) throw paramError(def.name!, `needs a ${def.type}, not a ${resource.resourceType}`);
  const fromUrl = parametersFromQuery({ ...definition, parameter: (definition.parameter ?? []).filter((d) => d !== def).map((d) => ({ ...d, min: 0 })) }, pairs, options);
  const values = new Map<string, ParameterValue[]>(fromUrl.names().map((n) => [n, fromUrl.all(n)]));
  values.set(def.name!, [resource]);
  checkCardinality(inParameters(definition.parameter ?? []), values, '');
  return new OperationParameters(values, fromUrl.searchParams);
}

/** Whether every in-parameter can travel in a URL (the operation may then be invoked with GET). */
export function urlRepresentable(definition: OperationDefinition): boolean {
  // An optional parameter with parts (e.g. $translate's `dependency`) cannot be given in a URL,
  // but does not stop the operation being called by GET without it (R4 operations.html).
  return inParameters(definition.parameter ?? []).every((d) => !(d.min ?? 0) || (!d.part?.length && (isPrimitiveType(d.type) || d.type === 'Coding' || d.type === 'Reference')));
}
