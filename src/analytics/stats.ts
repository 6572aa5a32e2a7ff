// Observation $stats (R4 observation-operation-stats) and its population form: which
// Observations (subject, code, time window), which values (Observation.valueQuantity of one unit:
// the unit of the code's most recent Observation, so that no value in another unit is mixed in —
// `count` against `total-count` shows what was left out), and the engine's numericStats over them.
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
export function observationWhere(code: Coding, subject?: { type: string; id: string }, window?: StatsWindow, extra: Predicate[] = []): Predicate[] {
  const where: Predicate[] = [{ kind: 'token', param: 'code', system: code.system ?? null, code: code.code! }];
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

export async function codeStats(data: DataAccess, where: Predicate[], statistics: string[], unit: Quantity | undefined): Promise<NumericStats> {
  return data.numericStats({
    resourceType: 'Observation',
    where,
    param: 'value-quantity',
    kind: 'quantity',
    ...(unit?.code ? { unit: { system: unit.system ?? null, code: unit.code } } : {}),
    ...(statistics.includes('regression') ? { timeParam: 'date' } : {}),
    percentiles: percentilesFor(statistics),
  });
}

export function observationOf(c: CodeStats, statistics: string[], window: StatsWindow | undefined, subject?: string): Observation {
  return statisticsObservation({ code: c.code, subject, period: window?.period, unit: c.unit, statistics, stats: c.stats });
}
