// One search parameter occurrence (`code:modifier=v1,v2`) → one Predicate of the plan, by
// parameter type. Values are normalised with the same functions as stored values (normalise.ts).
import { DATE_MAX, DATE_MIN, type IndexKind } from './index-values';
import { dateRange, foldString, numberRange } from './normalise';
import type { CompositePredicate, Predicate, Prefix, RangePredicate, TokenPredicate } from './plan';
import { POSITION_PARAMS, type SearchParam, type SearchParamType } from './registry';
import { parseNear } from './geo';
import { searchProblems, SearchProblemError } from './errors';
import { splitUnescaped, unescapeValue } from './escape';
import { parseReference } from './values';
import type { Terminology } from './terminology';

export interface PredicateContext {
  /** Current instant (epoch ms), injected so that `ap` on dates is deterministic in tests. */
  now: number;
  baseUrl?: string;
  terminology: Terminology;
}

const PREFIXES: readonly Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

/** Modifiers each parameter type accepts (R4 search.html §3.1.1.5); `:[type]` is checked apart. */
export const SEARCH_MODIFIERS: Record<SearchParamType, readonly string[]> = {
  string: ['missing', 'exact', 'contains'],
  token: ['missing', 'text', 'not', 'above', 'below', 'in', 'not-in', 'of-type'],
  reference: ['missing', 'identifier'],
  date: ['missing'],
  number: ['missing'],
  quantity: ['missing'],
  uri: ['missing', 'above', 'below'],
  composite: ['missing'],
  special: [],
};

const KIND_OF: Record<SearchParamType, IndexKind | undefined> = {
  string: 'string',
  token: 'token',
  reference: 'reference',
  date: 'date',
  number: 'number',
  quantity: 'quantity',
  uri: 'uri',
  composite: 'composite',
  special: undefined,
};

/** `near=lat|long|distance|unit` (one point; R4 gives it no modifiers and no alternatives). */
function nearPredicate(param: SearchParam, name: string, modifier: string | undefined, value: string): Predicate {
  if (modifier !== undefined) throw new SearchProblemError(searchProblems.unknownModifier(name, modifier, 'special (near)'));
  if (value.includes(',')) invalid(name, value, 'near takes one point; search once per point');
  const q = parseNear(value);
  if (typeof q === 'string') invalid(name, value, q);
  return { kind: 'near', param: param.code, lat: q.lat, lon: q.lon, distanceKm: q.distanceKm, box: q.box };
}

function invalid(name: string, value: string, why: string): never {
  throw new SearchProblemError(searchProblems.invalidValue(name, value, why));
}

/** Builds the predicate for `name=value` where `name` resolved to `param` with `modifier`. */
export function parameterPredicate(param: SearchParam, name: string, modifier: string | undefined, value: string, ctx: PredicateContext): Predicate {
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false') invalid(name, value, ':missing takes true or false');
    const kind = param.type === 'special' && POSITION_PARAMS.has(param.code) ? 'position' : KIND_OF[param.type];
    if (!kind) throw new SearchProblemError(searchProblems.unknownModifier(name, modifier, param.type));
    return { kind: 'missing', param: param.code, valueKind: kind, missing: value === 'true' };
  }
  if (param.type === 'special' && POSITION_PARAMS.has(param.code)) return nearPredicate(param, name, modifier, value);
  let targetType: string | undefined;
  if (modifier !== undefined && !SEARCH_MODIFIERS[param.type].includes(modifier)) {
    if (param.type === 'reference' && /^[A-Z][A-Za-z]+$/.test(modifier) && (param.targets.length === 0 || param.targets.includes(modifier))) {
      targetType = modifier;
    } else throw new SearchProblemError(searchProblems.unknownModifier(name, modifier, param.type));
  }
  if (value === '') invalid(name, value, 'an empty value matches nothing; leave the parameter out instead');
  const raw = splitUnescaped(value, ',');
  if (modifier === 'not' || modifier === 'not-in') {
    const alternatives = raw.map((v) => tokenPredicate(param, name, modifier === 'not' ? undefined : 'in', v, ctx));
    return { kind: 'not', predicate: anyOf(alternatives) };
  }
  const alternatives = raw.map((v): Predicate => {
    if (v === '') invalid(name, value, 'empty alternative between commas');
    switch (param.type) {
      case 'string':
        return stringPredicate(param, modifier, v);
      case 'token':
        return tokenPredicate(param, name, modifier, v, ctx);
      case 'date':
      case 'number':
      case 'quantity':
        return rangePredicate(param.type, param.code, name, v, ctx);
      case 'reference':
        return referencePredicate(param, name, modifier, targetType, v, ctx);
      case 'uri':
        return { kind: 'uri', param: param.code, match: (modifier as 'above' | 'below' | undefined) ?? 'exact', value: unescapeValue(v) };
      case 'composite':
        return compositePredicate(param, name, v, ctx);
      default:
        throw new SearchProblemError(searchProblems.unsupportedParam(name, `${param.type} parameters are not searchable here`));
    }
  });
  return anyOf(alternatives);
}

export function anyOf(alternatives: Predicate[]): Predicate {
  return alternatives.length === 1 ? alternatives[0] : { kind: 'or', any: alternatives };
}

function stringPredicate(param: SearchParam, modifier: string | undefined, raw: string): Predicate {
  const value = unescapeValue(raw);
  if (param.code === '_text' || param.code === '_content') {
    // Text search: every word must occur in the folded text.
    const words = foldString(value).split(' ').filter(Boolean);
    const parts: Predicate[] = words.map((w) => ({ kind: 'string', param: param.code, match: 'contains', value: w }));
    return parts.length === 1 ? parts[0] : { kind: 'and', all: parts };
  }
  if (modifier === 'exact') return { kind: 'string', param: param.code, match: 'exact', value };
  return { kind: 'string', param: param.code, match: modifier === 'contains' ? 'contains' : 'prefix', value: foldString(value) };
}

function tokenPredicate(param: SearchParam, name: string, modifier: string | undefined, raw: string, ctx: PredicateContext): Predicate {
  if (modifier === 'text') return { kind: 'token', param: param.code, text: foldString(unescapeValue(raw)) };
  const parts = splitUnescaped(raw, '|').map(unescapeValue);
  if (modifier === 'of-type') {
    if (parts.length !== 3 || !parts[1] || !parts[2]) invalid(name, raw, ':of-type takes type-system|type-code|identifier-value');
    return { kind: 'token', param: param.code, typeSystem: parts[0] || undefined, typeCode: parts[1], code: parts[2] };
  }
  if (parts.length > 2) invalid(name, raw, "a token is [system|]code; escape a literal '|' as '\\|'");
  const [system, code] = parts.length === 2 ? [parts[0] === '' ? null : parts[0], parts[1]] : [undefined, parts[0]];
  if (modifier === 'in') {
    const codes = ctx.terminology.expandValueSet(unescapeValue(raw));
    if (!codes) invalid(name, raw, 'no ValueSet with this URL is known to the server');
    if (!codes.length) return { kind: 'nothing', reason: `empty ValueSet ${raw}` };
    // Elements of FHIR type `code` are stored without a system (it is implied by their binding),
    // so each expanded code also matches a stored code that has no system.
    return anyOf(codes.flatMap((c): Predicate[] => [
      { kind: 'token', param: param.code, system: c.system, code: c.code },
      { kind: 'token', param: param.code, system: null, code: c.code },
    ]));
  }
  if (modifier === 'above' || modifier === 'below') {
    if (!system || !code) invalid(name, raw, `:${modifier} needs system|code`);
    const codes = ctx.terminology.subsumption(system, code, modifier);
    if (!codes) invalid(name, raw, `code system ${system} has no hierarchy known to the server`);
    return anyOf(codes.map((c) => ({ kind: 'token', param: param.code, system, code: c })));
  }
  const t: TokenPredicate = { kind: 'token', param: param.code };
  if (system !== undefined) t.system = system;
  if (code !== '') t.code = code;
  if (t.system === undefined && t.code === undefined) invalid(name, raw, 'neither system nor code given');
  return t;
}

function splitPrefix(raw: string): [Prefix, string] {
  const p = raw.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && raw.length > 2 && !/^[a-z]/.test(raw[2])) return [p, raw.slice(2)];
  return ['eq', raw];
}

export function rangePredicate(kind: 'date' | 'number' | 'quantity', code: string, name: string, raw: string, ctx: PredicateContext): RangePredicate {
  const [prefix, rest] = splitPrefix(raw);
  if (kind === 'date') {
    const range = dateRange(unescapeValue(rest));
    if (!range) invalid(name, raw, 'expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|±hh:mm]]]]');
    let [low, high] = range;
    if (prefix === 'ap') {
      // R4 suggests 10% of the distance between now and the date, never less than its precision.
      const slack = Math.abs(ctx.now - (low + high) / 2) * 0.1;
      low = Math.max(DATE_MIN, low - slack);
      high = Math.min(DATE_MAX, high + slack);
    }
    return { kind: 'range', valueKind: 'date', param: code, prefix, low, high };
  }
  const parts = splitUnescaped(rest, '|').map(unescapeValue);
  if (kind === 'number' && parts.length > 1) invalid(name, raw, 'a number has no unit');
  if (parts.length !== 1 && parts.length !== 3) invalid(name, raw, 'expected [prefix]number[|system|code]');
  const range = numberRange(parts[0]);
  if (!range) invalid(name, raw, 'expected [prefix]number, e.g. 5.4 or ge1e-3');
  let { low, high } = range;
  if (prefix === 'ap') {
    const slack = Math.abs(range.value) * 0.1;
    low = Math.min(low, range.value - slack);
    high = Math.max(high, range.value + slack);
  }
  const out: RangePredicate = { kind: 'range', valueKind: kind, param: code, prefix, low, high };
  if (parts.length === 3) {
    const [, system, unit] = parts;
    if (system) {
      out.system = system;
      if (unit) out.code = unit;
    } else if (unit) out.unit = unit;
  }
  return out;
}

function referencePredicate(
  param: SearchParam,
  name: string,
  modifier: string | undefined,
  targetType: string | undefined,
  raw: string,
  ctx: PredicateContext,
): Predicate {
  const value = unescapeValue(raw);
  if (modifier === 'identifier') {
    const parts = splitUnescaped(raw, '|').map(unescapeValue);
    if (parts.length > 2 || !parts[parts.length - 1]) invalid(name, raw, ':identifier takes [system|]value');
    return {
      kind: 'reference',
      param: param.code,
      identifierValue: parts[parts.length - 1],
      ...(parts.length === 2 ? { identifierSystem: parts[0] === '' ? null : parts[0] } : {}),
    };
  }
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(value)) {
    // A bare id: any allowed target type, unless the modifier or a single target fixes it.
    const type = targetType ?? (param.targets.length === 1 ? param.targets[0] : undefined);
    return { kind: 'reference', param: param.code, id: value, ...(type ? { type } : {}) };
  }
  const parsed = parseReference(value, { baseUrl: ctx.baseUrl });
  if (parsed.t && parsed.i) {
    if (targetType && parsed.t !== targetType) invalid(name, raw, `the modifier asks for ${targetType} but the value names ${parsed.t}`);
    if (param.targets.length && !param.targets.includes(parsed.t)) {
      return { kind: 'nothing', reason: `${name} cannot refer to ${parsed.t}` };
    }
    return { kind: 'reference', param: param.code, type: parsed.t, id: parsed.i };
  }
  if (parsed.u && /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(parsed.u)) return { kind: 'reference', param: param.code, url: parsed.u, ...(parsed.ver ? { version: parsed.ver } : {}) };
  invalid(name, raw, 'expected Type/id, an id, an absolute URL or a canonical url[|version]');
}

function compositePredicate(param: SearchParam, name: string, raw: string, ctx: PredicateContext): CompositePredicate {
  const components = param.components ?? [];
  const parts = splitUnescaped(raw, '$');
  if (parts.length !== components.length) invalid(name, raw, `expected ${components.length} components separated by '$'`);
  return {
    kind: 'composite',
    param: param.code,
    components: parts.map((part, i) => {
      const cp: SearchParam = { code: `c${i}`, url: '', type: components[i].type, targets: [] };
      const p = parameterPredicate(cp, name, undefined, part, ctx);
      if (p.kind === 'string' || p.kind === 'token' || p.kind === 'range' || p.kind === 'reference' || p.kind === 'uri') return p;
      return invalid(name, raw, `component ${i + 1} is not a simple value`);
    }),
  };
}
