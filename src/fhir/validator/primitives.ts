// The FHIR primitive types: their JSON representation (json.html#primitive) and the lexical rules of
// their `value` (the regex each R4 primitive StructureDefinition carries, plus what a regex cannot
// say: calendar dates, integer ranges, the 1 MB string limit).
import type { ConformanceRegistry } from './registry';
import { lookupTable } from '../../lookup-table';

export type JsonKind = 'boolean' | 'number' | 'string';

export interface PrimitiveRule {
  type: string;
  json: JsonKind;
  regex?: RegExp;
}

const NUMBER_TYPES = new Set(['integer', 'decimal', 'unsignedInt', 'positiveInt', 'integer64']);
export const PRIMITIVE_TYPES = new Set([
  'boolean', 'integer', 'string', 'decimal', 'uri', 'url', 'canonical', 'base64Binary', 'instant', 'date', 'dateTime',
  'time', 'code', 'oid', 'id', 'markdown', 'unsignedInt', 'positiveInt', 'uuid', 'xhtml',
]);

/** The R4 regexes follow XML Schema, where \s and \S are about space, tab, CR and LF only. */
const XML_PATTERNS: Record<string, string> = lookupTable({
  '[ \\r\\n\\t\\S]+': '[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+',
  '[^\\s]+(\\s[^\\s]+)*': '[^ \\t\\r\\n]+([ \\t\\r\\n][^ \\t\\r\\n]+)*',
  '\\S*': '[^ \\t\\r\\n]*',
});

export class PrimitiveRules {
  private readonly rules = new Map<string, PrimitiveRule>();
  constructor(private readonly registry: ConformanceRegistry) {}

  isPrimitive(type: string): boolean {
    return PRIMITIVE_TYPES.has(type) || type.startsWith('http://hl7.org/fhirpath/System.');
  }

  rule(type: string): PrimitiveRule {
    let r = this.rules.get(type);
    if (!r) {
      r = { type, json: type === 'boolean' ? 'boolean' : NUMBER_TYPES.has(type) ? 'number' : 'string', regex: this.regexOf(type) };
      this.rules.set(type, r);
    }
    return r;
  }

  private regexOf(type: string): RegExp | undefined {
    if (type === 'xhtml' || type === 'boolean' || type === 'decimal' || type === 'integer' || type === 'unsignedInt' || type === 'positiveInt') return undefined;
    const sd = this.registry.typeDefinition(type);
    const value = sd?.snapshot?.element.find((e) => e.path === `${type}.value`);
    const source = value?.type?.[0]?.extension?.find((e) => e.url === 'http://hl7.org/fhir/StructureDefinition/regex')?.valueString;
    if (!source) return undefined;
    return new RegExp(`^(?:${XML_PATTERNS[source] ?? source})$`, 'u');
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const MAX_STRING = 1024 * 1024;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Why `value` is not a valid `type` value, or undefined when it is. */
export function primitiveProblem(rule: PrimitiveRule, value: unknown): string | undefined {
  if (typeof value !== rule.json) return `must be a JSON ${rule.json}, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  switch (rule.type) {
    case 'integer':
    case 'unsignedInt':
    case 'positiveInt': {
      const n = value as number;
      if (!Number.isInteger(n)) return 'must be a whole number';
      if (n < INT32_MIN || n > INT32_MAX) return 'is outside the 32-bit integer range';
      if (rule.type === 'unsignedInt' && n < 0) return 'must not be negative';
      if (rule.type === 'positiveInt' && n < 1) return 'must be at least 1';
      return undefined;
    }
    case 'decimal':
      return Number.isFinite(value) ? undefined : 'is not a finite decimal';
  }
  if (typeof value === 'string') {
    if (value.length > MAX_STRING && rule.type !== 'xhtml') return 'is longer than 1 MB';
    if (rule.regex && !rule.regex.test(value)) return value === '' ? 'must not be empty' : `is not a valid ${rule.type}`;
    if ((rule.type === 'date' || rule.type === 'dateTime' || rule.type === 'instant') && !isCalendarDate(value)) return 'is not a date on the calendar';
  }
  return undefined;
}

/** True unless `value` starts with a full date that does not exist ("Dates SHALL be valid dates"). */
export function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return true;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day >= 1 && day <= (month === 2 && !leap ? 28 : DAYS_IN_MONTH[month - 1]);
}
