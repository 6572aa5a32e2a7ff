// Observation $stats (R4 observation-operation-stats) and its population form: which
// Observations (subject, code, time window), which values (Observation.valueQuantity of one unit:
// the unit of the code's most recent Observation, so that no value in another unit is mixed in —
// `count` against `total-count` shows what was left out), and the engine's numericStats over them;
// codes found as components (blood pressure) are answered from the component values.
import type { Coding, Observation, Quantity } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { parseStoredJson } from '../fhir/json';
import type { Predicate } from '../search/plan';
import type { NumericStats } from '../storage/engine';
import { percentilesFor, statisticsObservation } from './statistics';

export interface StatsWindow {
  /** [low, high) epoch ms; either may be open. */
  low?: number;
  high?: number;
  period: { start?: string; end?: string };
}

export interface CodeStats {
  code: Coding;
  unit?: Quantity;
  stats: NumericStats;
}

/** The Observations of one code (and optionally one subject) whose effective time overlaps the window. */
export function observationWhere(code: Coding, subject?: { type: string; id: string }, window?: StatsWindow, extra: Predicate[] = [], codeParam = 'code'): Predicate[] {
  const where: Predicate[] = [{ kind: 'token', param: codeParam, system: code.system ?? null, code: code.code! }];
  if (subject) where.push({ kind: 'reference', param: 'subject', type: subject.type, id: subject.id });
  if (window?.low !== undefined) where.push({ kind: 'not', predicate: { kind: 'range', valueKind: 'date', param: 'date', prefix: 'eb', low: window.low, high: window.low + 1 } });
  if (window?.high !== undefined) where.push({ kind: 'not', predicate: { kind: 'range', valueKind: 'date', param: 'date', prefix: 'sa', low: window.high - 1, high: window.high } });
  return [...where, ...extra];
}

/** The unit of the values: that of the code's most recent Observation with a valueQuantity. */
export async function unitOf(data: DataAccess, where: Predicate[]): Promise<Quantity | undefined> {
  const found = await data.search({
    resourceTypes: ['Observation'],
    where: [...where, { kind: 'missing', param: 'value-quantity', valueKind: 'quantity', missing: false }],
    sort: [{ param: 'date', descending: true }],
    count: 1,
    total: 'none',
    include: [],
    revinclude: [],
  });
  const v = found.matches[0];
  if (!v) return undefined;
  const q = (parseStoredJson(v.json!) as Observation).valueQuantity;
  return q ? { ...(q.unit ? { unit: q.unit } : {}), ...(q.system ? { system: q.system } : {}), ...(q.code ? { code: q.code } : {}) } : undefined;
}

/** The unit of the components coded `code`: that of the most recent Observation having one with a valueQuantity. */
async function componentUnitOf(data: DataAccess, where: Predicate[], code: Coding): Promise<Quantity | undefined> {
  const found = await data.search({ resourceTypes: ['Observation'], where, sort: [{ param: 'date', descending: true }], count: 1, total: 'none', include: [], revinclude: [] });
  const v = found.matches[0];
  if (!v) return undefined;
  const component = (parseStoredJson(v.json!) as Observation).component?.find((c) => c.valueQuantity && c.code.coding?.some((x) => x.code === code.code && (x.system ?? null) === (code.system ?? null)));
  const q = component?.valueQuantity;
  return q ? { ...(q.unit ? { unit: q.unit } : {}), ...(q.system ? { system: q.system } : {}), ...(q.code ? { code: q.code } : {}) } : undefined;
}

export interface StatsScope {
  subject?: { type: string; id: string };
  window?: StatsWindow;
  extra?: Predicate[];
}

/** Where one asked code's values come from (decided once, then applied to every stratum). */
export interface CodeSource {
  /** The code the answer Observation carries. */
  code: Coding;
  /** Selects the Observations: `code` or `component-code` = asked. */
  asked: Coding;
  codeParam: 'code' | 'component-code';
  /** The values are the components coded so (else valueQuantity). */
  component?: Coding;
  unit?: Quantity;
}

/**
 * Where the values of one asked code come from, as one or more sources:
 *  - the Observations coded so, over their valueQuantity (e.g. body weight);
 *  - else the components coded so, over the component values (`component-code-value-quantity`,
 *    e.g. systolic 8480-6 from blood-pressure panels);
 *  - else, when the Observations coded so are panels, one per component code found on them (the
 *    panel 85354-9 gives systolic and diastolic), each over those panels' component values.
 */
export async function sourcesOf(data: DataAccess, code: Coding, scope: StatsScope): Promise<CodeSource[]> {
  const direct = observationWhere(code, scope.subject, scope.window, scope.extra);
  const unit = await unitOf(data, direct);
  if (unit) return [{ code, asked: code, codeParam: 'code', unit }];
  const asComponent = observationWhere(code, scope.subject, scope.window, scope.extra, 'component-code');
  const componentUnit = await componentUnitOf(data, asComponent, code);
  if (componentUnit) return [{ code, asked: code, codeParam: 'component-code', component: code, unit: componentUnit }];
  const parts = await data.aggregate({ resourceTypes: ['Observation'], where: direct, groupBy: { param: 'component-code', kind: 'token' } });
  if (!parts.groups.length) return [{ code, asked: code, codeParam: 'code' }];
  const components = parts.groups.map((g): Coding => ({ ...(g.key.system ? { system: g.key.system } : {}), code: g.key.code! })).sort((a, b) => (a.code! < b.code! ? -1 : 1));
  const out: CodeSource[] = [];
  for (const part of components) {
    const unitOfPart = await componentUnitOf(data, [...direct, { kind: 'token', param: 'component-code', system: part.system ?? null, code: part.code! }], part);
    out.push({ code: part, asked: code, codeParam: 'code', component: part, ...(unitOfPart ? { unit: unitOfPart } : {}) });
  }
  return out;
}

/** The statistics of one source within a scope. */
export async function sourceStats(data: DataAccess, source: CodeSource, statistics: string[], scope: StatsScope): Promise<CodeStats> {
  const where = observationWhere(source.asked, scope.subject, scope.window, scope.extra, source.codeParam);
  return { code: source.code, unit: source.unit, stats: await codeStats(data, where, statistics, source.unit, source.component) };
}

export async function codeStats(data: DataAccess, where: Predicate[], statistics: string[], unit: Quantity | undefined, component?: Coding): Promise<NumericStats> {
  return data.numericStats({
    resourceType: 'Observation',
    where,
    ...(component ? { param: 'component-code-value-quantity', component: { system: component.system ?? null, code: component.code! } } : { param: 'value-quantity' }),
    kind: 'quantity',
    ...(unit?.code ? { unit: { system: unit.system ?? null, code: unit.code } } : {}),
    ...(statistics.includes('regression') ? { timeParam: 'date' } : {}),
    percentiles: percentilesFor(statistics),
  });
}

export function observationOf(c: CodeStats, statistics: string[], window: StatsWindow | undefined, subject?: string): Observation {
  return statisticsObservation({ code: c.code, subject, period: window?.period, unit: c.unit, statistics, stats: c.stats });
}
