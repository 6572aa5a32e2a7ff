// The parameters $stats and $population-stats share: the codes (code + system, or coding), the
// time window (duration in hours back from now, or period) and the statistic codes — checked
// here, 400 naming the parameter for anything wrong.
import type { Coding, Period } from '@medplum/fhirtypes';
import { errors } from '../../fhir/errors';
import type { StatsWindow } from '../../analytics/stats';
import { STATISTICS } from '../../analytics/statistics';
import { dateRange } from '../../search/normalise';
import type { OperationParameters } from '../parameters';

export interface StatsInput {
  codes: Coding[];
  window?: StatsWindow;
  statistics: string[];
}

export function statsInput(params: OperationParameters, now: Date): StatsInput {
  const system = params.string('system');
  const codes: Coding[] = params.all<string>('code').flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean).map((code) => ({ ...(system ? { system } : {}), code }));
  if (codes.length && !system) throw errors.invalidParam('system', 'is required with code (or give a coding)');
  if (system && !codes.length) throw errors.invalidParam('code', 'is required with system');
  for (const c of params.all<Coding>('coding')) {
    if (!c.code) throw errors.invalidParam('coding', 'needs a code');
    codes.push({ ...(c.system ? { system: c.system } : {}), code: c.code });
  }
  if (!codes.length) throw errors.invalidParam('code', 'give the codes to compute statistics for (code with system, or coding)');

  const statistics = [...new Set(params.all<string>('statistic').flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))];
  for (const s of statistics) if (!STATISTICS[s]) throw errors.invalidParam('statistic', `'${s.slice(0, 40)}' is not a code of http://terminology.hl7.org/CodeSystem/observation-statistics (${Object.keys(STATISTICS).join(', ')})`);
  if (!statistics.length) throw errors.invalidParam('statistic', 'is required');

  const duration = params.number('duration');
  const period = params.get<Period>('period');
  if (duration !== undefined && period) throw errors.invalidParam('duration', 'give duration or period, not both');
  let window: StatsWindow | undefined;
  if (duration !== undefined) {
    if (!(duration > 0)) throw errors.invalidParam('duration', 'must be a positive number of hours');
    const high = now.getTime();
    const low = high - duration * 3_600_000;
    window = { low, high, period: { start: new Date(low).toISOString(), end: new Date(high).toISOString() } };
  } else if (period) {
    const start = period.start ? dateRange(period.start) : undefined;
    const end = period.end ? dateRange(period.end) : undefined;
    if (period.start && !start) throw errors.invalidParam('period', `start '${period.start.slice(0, 40)}' is not a dateTime`);
    if (period.end && !end) throw errors.invalidParam('period', `end '${period.end.slice(0, 40)}' is not a dateTime`);
    if (start && end && start[0] >= end[1]) throw errors.invalidParam('period', 'start is after end');
    window = { ...(start ? { low: start[0] } : {}), ...(end ? { high: end[1] } : {}), period: { ...(period.start ? { start: period.start } : {}), ...(period.end ? { end: period.end } : {}) } };
  }
  return { codes, window, statistics };
}
