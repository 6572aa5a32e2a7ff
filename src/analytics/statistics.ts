// The statistics of R4's observation-statistics code system from the database's NumericStats
// (engine.ts), and the Observation that carries them ($stats: one per code, one component per
// statistic, component.code from the code system). Definitions (docs/analytics.md):
// variance and std-dev are the sample ones (n − 1); skew is g1 = (m3/n)/(m2/n)^1.5 and kurtosis
// the excess g2 = (m4/n)/(m2/n)² − 3 (moment ratios); percentiles interpolate linearly between the
// closest ranks; 4-dev is the quartile deviation (Q3 − Q1)/2; regression is the
// least-squares slope of value over time, per day.
import type { Coding, Observation, ObservationComponent, Quantity } from '@medplum/fhirtypes';
import type { NumericStats } from '../storage/engine';
import { lookupTable } from '../lookup-table';

export const STATISTIC_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-statistics';

/** Every code of the R4 code system, with the percentile it needs (if any). */
export const STATISTICS: Record<string, { display: string; percentile?: number }> = lookupTable({
  average: { display: 'Average' },
  maximum: { display: 'Maximum' },
  minimum: { display: 'Minimum' },
  count: { display: 'Count' },
  'total-count': { display: 'Total Count' },
  median: { display: 'Median', percentile: 0.5 },
  'std-dev': { display: 'Standard Deviation' },
  sum: { display: 'Sum' },
  variance: { display: 'Variance' },
  '20-percent': { display: '20th Percentile', percentile: 0.2 },
  '80-percent': { display: '80th Percentile', percentile: 0.8 },
  '4-lower': { display: 'Lower Quartile', percentile: 0.25 },
  '4-upper': { display: 'Upper Quartile', percentile: 0.75 },
  '4-dev': { display: 'Quartile Deviation' },
  '5-1': { display: '1st Quintile', percentile: 0.2 },
  '5-2': { display: '2nd Quintile', percentile: 0.4 },
  '5-3': { display: '3rd Quintile', percentile: 0.6 },
  '5-4': { display: '4th Quintile', percentile: 0.8 },
  skew: { display: 'Skew' },
  kurtosis: { display: 'Kurtosis' },
  regression: { display: 'Regression' },
});

/** The percentiles the engine must compute for these statistics (4-dev needs both quartiles). */
export function percentilesFor(statistics: string[]): number[] {
  const ps = new Set<number>();
  for (const s of statistics) {
    if (s === '4-dev') [0.25, 0.75].forEach((p) => ps.add(p));
    const p = STATISTICS[s]?.percentile;
    if (p !== undefined) ps.add(p);
  }
  return [...ps].sort((a, b) => a - b);
}

/** One statistic's value; undefined when the data do not define it (no values, n < 2, …). */
export function statisticValue(code: string, s: NumericStats, percentiles: number[]): number | undefined {
  const n = s.count;
  const pct = (p: number) => (n ? s.percentiles[percentiles.indexOf(p)] : undefined);
  const variance = n >= 2 ? s.m2 / (n - 1) : undefined;
  switch (code) {
    case 'average':
      return s.mean;
    case 'maximum':
      return s.max;
    case 'minimum':
      return s.min;
    case 'count':
      return n;
    case 'total-count':
      return s.resources;
    case 'sum':
      return s.sum;
    case 'variance':
      return variance;
    case 'std-dev':
      return variance === undefined ? undefined : Math.sqrt(variance);
    case '4-dev': {
      const q1 = pct(0.25);
      const q3 = pct(0.75);
      return q1 === undefined || q3 === undefined ? undefined : (q3 - q1) / 2;
    }
    case 'skew':
      return n >= 2 && s.m2 > 0 ? s.m3 / n / Math.pow(s.m2 / n, 1.5) : undefined;
    case 'kurtosis':
      return n >= 2 && s.m2 > 0 ? s.m4 / n / Math.pow(s.m2 / n, 2) - 3 : undefined;
    case 'regression':
      return s.regression?.slope;
    default: {
      const p = STATISTICS[code]?.percentile;
      return p === undefined ? undefined : pct(p);
    }
  }
}

export interface StatisticsObservationInput {
  code: Coding;
  subject?: string;
  period?: { start?: string; end?: string };
  unit?: Quantity;
  statistics: string[];
  stats: NumericStats;
}

/** The $stats answer for one code: status final, the code, subject and period asked for, and a
 * component per statistic (a value, or dataAbsentReason when the data do not define it). */
export function statisticsObservation(input: StatisticsObservationInput): Observation {
  const percentiles = percentilesFor(input.statistics);
  const unit = input.unit ? { ...(input.unit.unit ? { unit: input.unit.unit } : {}), ...(input.unit.system ? { system: input.unit.system } : {}), ...(input.unit.code ? { code: input.unit.code } : {}) } : {};
  const component: ObservationComponent[] = input.statistics.map((code) => {
    const value = statisticValue(code, input.stats, percentiles);
    const c: ObservationComponent = { code: { coding: [{ system: STATISTIC_SYSTEM, code, display: STATISTICS[code].display }] } };
    if (value === undefined || !Number.isFinite(value)) {
      c.dataAbsentReason = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-applicable' }] };
    } else if (code === 'count' || code === 'total-count') {
      c.valueInteger = value;
    } else if (code === 'variance' || code === 'skew' || code === 'kurtosis') {
      c.valueQuantity = { value }; // unit² or dimensionless: no UCUM unit of the source applies
    } else if (code === 'regression') {
      c.valueQuantity = { value, ...(unit.unit ? { unit: `${unit.unit}/d` } : {}) };
    } else {
      c.valueQuantity = { value, ...unit };
    }
    return c;
  });
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [input.code] },
    ...(input.subject ? { subject: { reference: input.subject } } : {}),
    ...(input.period && (input.period.start || input.period.end) ? { effectivePeriod: input.period } : {}),
    component,
  };
}
