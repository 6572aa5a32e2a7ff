// A FHIR search query (name/value pairs, in order) → SearchPlan, resolved against the registry.
// Strict by default: every unknown or unsupported parameter, modifier or malformed value is
// collected and answered with one 400 naming them all. With `lenient` (Prefer: handling=lenient)
// the same problems are returned as `ignored` and the rest of the query still runs.
import type { SearchPlan, Predicate, SortKey, IncludeSpec, TotalMode, NearPredicate } from './plan';
import type { SearchRegistry, SearchParam } from './registry';
import { POSITION_PARAMS, UNSUPPORTED_PARAMS } from './registry';
import { parameterPredicate, type PredicateContext } from './predicates';
import { searchProblems, SearchProblemError, searchRejected, type SearchProblem } from './errors';
import type { Terminology } from './terminology';

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';

export interface SearchQueryOptions {
  /** Types the search runs over: `[type]` search has one; system search has `_type`'s or all. */
  resourceTypes: string[];
  lenient?: boolean;
  defaultCount: number;
  maxCount: number;
  /** Epoch ms; injected for deterministic `ap` on dates. */
  now: number;
  baseUrl?: string;
  terminology: Terminology;
  /** True for `GET [base]?…`: `_type` is allowed and chooses the types. */
  systemLevel?: boolean;
}

export interface ParsedSearch {
  plan: SearchPlan;
  /** The parameters that were applied, as received (for the self link; excludes `_cursor`). */
  applied: Array<[string, string]>;
  /** Problems that were ignored (lenient handling only). */
  ignored: SearchProblem[];
  summary?: SummaryMode;
  elements?: string[];
}

/** Result parameters and general parameters handled outside predicates. */
const RESULT_PARAMS = new Set(['_sort', '_count', '_total', '_summary', '_elements', '_include', '_revinclude', '_cursor', '_contained', '_containedType']);
/** Parameters about the HTTP exchange, not the search: always accepted, never echoed. */
const HTTP_PARAMS = new Set(['_format', '_pretty']);
const MAX_CHAIN_DEPTH = 5;
const SORTABLE = new Set(['string', 'token', 'date', 'number', 'quantity', 'reference', 'uri']);

interface Planner {
  registry: SearchRegistry;
  ctx: PredicateContext;
}

export function parseSearchQuery(registry: SearchRegistry, query: Array<[string, string]>, options: SearchQueryOptions): ParsedSearch {
  const problems: SearchProblem[] = [];
  const applied: Array<[string, string]> = [];
  const planner: Planner = { registry, ctx: { now: options.now, baseUrl: options.baseUrl, terminology: options.terminology } };
  let resourceTypes = options.resourceTypes;

  const typeParam = query.filter(([k]) => k === '_type');
  if (typeParam.length) {
    if (!options.systemLevel) problems.push(searchProblems.unknownParam('_type', resourceTypes.join(',')));
    else {
      const types = typeParam.flatMap(([, v]) => v.split(',')).map((t) => t.trim()).filter(Boolean);
      const unknown = types.filter((t) => !registry.resourceTypes.has(t));
      if (unknown.length) problems.push(searchProblems.invalidValue('_type', unknown.join(','), 'not R4 resource types'));
      else {
        resourceTypes = [...new Set(types)];
        applied.push(...typeParam);
      }
    }
  }

  const plan: SearchPlan = { resourceTypes, where: [], sort: [], count: options.defaultCount, total: 'accurate', include: [], revinclude: [] };
  const result: ParsedSearch = { plan, applied, ignored: [] };
  const attempt = (name: string, value: string, fn: () => void) => {
    try {
      fn();
      applied.push([name, value]);
    } catch (e) {
      if (e instanceof SearchProblemError) problems.push(e.problem);
      else throw e;
    }
  };

  for (const [name, value] of query) {
    if (name === '_type' || HTTP_PARAMS.has(name)) continue;
    const base = name.split(':')[0];
    if (RESULT_PARAMS.has(base)) {
      if (base === '_cursor') {
        plan.cursor = value;
        continue;
      }
      attempt(name, value, () => resultParameter(planner, result, name, value, options));
      continue;
    }
    attempt(name, value, () => plan.where.push(filterPredicate(planner, resourceTypes, name, value, 0)));
  }

  attachNearSort(plan, problems);
  if (problems.length && !options.lenient) throw searchRejected(problems);
  result.ignored = problems;
  return result;
}

/** Predicate for a filter parameter over the given types (all must know the parameter). */
function filterPredicate(planner: Planner, types: string[], name: string, value: string, depth: number): Predicate {
  if (name.startsWith('_has:')) return hasPredicate(planner, types, name, value, depth);
  if (name === '_list') {
    // `_list=42`: members of List/42, i.e. resources that List/42 refers to in `item`.
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(value)) throw new SearchProblemError(searchProblems.unsupportedParam(name, 'only List ids are supported (no functional lists)'));
    return { kind: 'has', sourceType: 'List', param: 'item', where: [{ kind: 'id', ids: [value] }] };
  }
  const dot = name.indexOf('.');
  const head = dot >= 0 ? name.slice(0, dot) : name;
  const [code, modifier, ...extra] = head.split(':');
  if (extra.length) throw new SearchProblemError(searchProblems.unknownParam(name, types.join(',')));
  if (UNSUPPORTED_PARAMS.has(code) || code === '_filter') {
    throw new SearchProblemError(searchProblems.unsupportedParam(name, 'this server does not implement it'));
  }
  if (code === '_id') return idPredicate(name, modifier, value);
  const param = commonParam(planner.registry, types, code, name);
  if (dot >= 0) return chainPredicate(planner, param, name, modifier, name.slice(dot + 1), value, depth);
  return parameterPredicate(param, name, modifier, value, planner.ctx);
}

/** The definition of `code` shared by all `types` (system search needs it on every type). */
function commonParam(registry: SearchRegistry, types: string[], code: string, name: string): SearchParam {
  const candidates = types.length ? types : ['Resource'];
  let found: SearchParam | undefined;
  for (const type of candidates) {
    const p = type === 'Resource' ? registry.param('Account', code) : registry.param(type, code);
    const isCommon = type !== 'Resource' || code.startsWith('_');
    if (!p || !isCommon) throw new SearchProblemError(searchProblems.unknownParam(name, types.join(',')));
    if (found && found.type !== p.type) throw new SearchProblemError(searchProblems.unsupportedParam(name, `it has different types across ${types.join(', ')}`));
    found ??= p;
  }
  return found!;
}

function idPredicate(name: string, modifier: string | undefined, value: string): Predicate {
  const ids = value.split(',').filter(Boolean);
  if (ids.length === 0) throw new SearchProblemError(searchProblems.invalidValue(name, value, 'no id given'));
  if (modifier === undefined) return { kind: 'id', ids };
  if (modifier === 'not') return { kind: 'not', predicate: { kind: 'id', ids } };
  throw new SearchProblemError(searchProblems.unknownModifier(name, modifier, 'token (_id)'));
}

function chainPredicate(planner: Planner, param: SearchParam, name: string, modifier: string | undefined, rest: string, value: string, depth: number): Predicate {
  if (param.type !== 'reference') throw new SearchProblemError(searchProblems.unsupportedParam(name, `${param.code} is not a reference parameter, so it cannot be chained`));
  if (depth >= MAX_CHAIN_DEPTH) throw new SearchProblemError(searchProblems.unsupportedParam(name, `chains deeper than ${MAX_CHAIN_DEPTH} are refused`));
  let targets = modifier ? [modifier] : param.targets;
  if (modifier && param.targets.length && !param.targets.includes(modifier)) {
    throw new SearchProblemError(searchProblems.unknownModifier(name, modifier, 'reference'));
  }
  const innerCode = rest.split(/[.:]/)[0];
  // Keep the targets that know the chained parameter; R4 says a chain over several target types
  // means "any of them".
  targets = targets.filter((t) => planner.registry.resourceTypes.has(t) && (innerCode.startsWith('_') || planner.registry.param(t, innerCode)));
  if (targets.length === 0) throw new SearchProblemError(searchProblems.unknownParam(name, param.targets.join(',')));
  const alternatives = targets.map((t) => filterPredicate(planner, [t], rest, value, depth + 1));
  const sameShape = alternatives.every((a) => JSON.stringify(a) === JSON.stringify(alternatives[0]));
  if (sameShape) return { kind: 'chain', param: param.code, targetTypes: targets, where: [alternatives[0]] };
  return { kind: 'or', any: targets.map((t, i) => ({ kind: 'chain', param: param.code, targetTypes: [t], where: [alternatives[i]] })) };
}

function hasPredicate(planner: Planner, types: string[], name: string, value: string, depth: number): Predicate {
  // _has:Source:param:rest — rest may itself be `_has:…` (nested) or `code[:modifier]`.
  const m = /^_has:([A-Za-z]+):([A-Za-z0-9\-_]+):(.+)$/.exec(name);
  if (!m) throw new SearchProblemError(searchProblems.invalidValue(name, value, 'expected _has:Type:reference-param:search-param=value'));
  if (depth >= MAX_CHAIN_DEPTH) throw new SearchProblemError(searchProblems.unsupportedParam(name, `_has deeper than ${MAX_CHAIN_DEPTH} is refused`));
  const [, sourceType, refCode, rest] = m;
  if (!planner.registry.resourceTypes.has(sourceType)) throw new SearchProblemError(searchProblems.unknownParam(name, sourceType));
  const ref = planner.registry.param(sourceType, refCode);
  if (!ref || ref.type !== 'reference') throw new SearchProblemError(searchProblems.unknownParam(name, sourceType));
  if (types.length && ref.targets.length && !types.some((t) => ref.targets.includes(t))) {
    throw new SearchProblemError(searchProblems.invalidValue(name, value, `${sourceType}.${refCode} cannot refer to ${types.join(' or ')}`));
  }
  return { kind: 'has', sourceType, param: refCode, where: [filterPredicate(planner, [sourceType], rest, value, depth + 1)] };
}

function resultParameter(planner: Planner, result: ParsedSearch, name: string, value: string, options: SearchQueryOptions): void {
  const plan = result.plan;
  const [base, modifier] = name.split(':');
  const bad = (why: string): never => {
    throw new SearchProblemError(searchProblems.invalidValue(name, value, why));
  };
  if (modifier !== undefined && base !== '_include' && base !== '_revinclude') {
    throw new SearchProblemError(searchProblems.unknownModifier(name, modifier, 'result'));
  }
  switch (base) {
    case '_count': {
      if (!/^\d{1,9}$/.test(value)) bad('expected a whole number ≥ 0');
      // Above the maximum is capped, not refused (issue 3; R4 lets the server choose).
      plan.count = Math.min(Number(value), options.maxCount);
      return;
    }
    case '_total':
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate') bad('expected none, estimate or accurate');
      plan.total = value as TotalMode;
      return;
    case '_summary':
      if (!['true', 'text', 'data', 'count', 'false'].includes(value)) bad('expected true, text, data, count or false');
      result.summary = value as SummaryMode;
      if (value === 'count') {
        plan.count = 0;
        plan.total = 'accurate';
      }
      return;
    case '_elements': {
      const elements = value.split(',').map((e) => e.trim()).filter(Boolean);
      if (elements.some((e) => !/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/.test(e))) bad('expected comma-separated element names');
      result.elements = elements;
      return;
    }
    case '_sort':
      plan.sort = value.split(',').map((key) => sortKey(planner, plan.resourceTypes, name, key.trim()));
      if (plan.sort.length === 0) bad('no sort key given');
      return;
    case '_include':
    case '_revinclude': {
      if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
        throw new SearchProblemError(searchProblems.unknownModifier(name, modifier, base));
      }
      const spec = includeSpec(planner, name, value, modifier !== undefined);
      (base === '_include' ? plan.include : plan.revinclude).push(spec);
      return;
    }
    case '_contained':
      if (value !== 'false') throw new SearchProblemError(searchProblems.unsupportedParam(name, 'contained resources are not returned as matches'));
      return;
    case '_containedType':
      throw new SearchProblemError(searchProblems.unsupportedParam(name, 'contained resources are not returned as matches'));
  }
}

/**
 * `near` orders by distance from its point: with `_sort=near` (the point is filled in here, since
 * `_sort` may come before `near` in the query), and by default when no `_sort` is given (R4:
 * "the results are sorted by distance").
 */
function attachNearSort(plan: SearchPlan, problems: SearchProblem[]): void {
  const near = plan.where.find((p): p is NearPredicate => p.kind === 'near');
  const keys = plan.sort.filter((k) => POSITION_PARAMS.has(k.param));
  if (!keys.length) {
    if (near && plan.sort.length === 0) plan.sort = [{ param: near.param, descending: false, near: { lat: near.lat, lon: near.lon } }];
    return;
  }
  if (!near) {
    problems.push(searchProblems.invalidValue('_sort', keys[0].param, 'sorting by near needs a near parameter (the point to measure from)'));
    plan.sort = plan.sort.filter((k) => !POSITION_PARAMS.has(k.param));
    return;
  }
  for (const k of keys) k.near = { lat: near.lat, lon: near.lon };
}

function sortKey(planner: Planner, types: string[], name: string, key: string): SortKey {
  const descending = key.startsWith('-');
  const code = descending ? key.slice(1) : key;
  if (code === '_id' || code === '_lastUpdated') return { param: code, descending };
  const param = commonParam(planner.registry, types, code, `${name}=${key}`);
  if (param.type === 'special' && POSITION_PARAMS.has(code)) return { param: code, descending };
  if (!SORTABLE.has(param.type) || code === '_text' || code === '_content') {
    throw new SearchProblemError(searchProblems.invalidValue(name, key, `${param.type} parameter ${code} cannot be sorted on`));
  }
  return { param: code, descending };
}

function includeSpec(planner: Planner, name: string, value: string, iterate: boolean): IncludeSpec {
  if (value === '*') return { sourceType: '*', param: '*', iterate };
  const [sourceType, param, targetType, ...extra] = value.split(':');
  const bad = (why: string): never => {
    throw new SearchProblemError(searchProblems.invalidValue(name, value, why));
  };
  if (extra.length || !sourceType || !param) bad('expected SourceType:param[:TargetType] or *');
  if (!planner.registry.resourceTypes.has(sourceType)) bad(`${sourceType} is not a resource type`);
  if (param !== '*') {
    const p = planner.registry.param(sourceType, param);
    if (!p || p.type !== 'reference') bad(`${sourceType} has no reference parameter ${param}`);
    if (targetType && p!.targets.length && !p!.targets.includes(targetType)) bad(`${sourceType}.${param} cannot refer to ${targetType}`);
  }
  if (targetType && !planner.registry.resourceTypes.has(targetType)) bad(`${targetType} is not a resource type`);
  return { sourceType, param, ...(targetType ? { targetType } : {}), iterate };
}
