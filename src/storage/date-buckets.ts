// Date buckets computed from an entry's start (`lo`, epoch ms, UTC), the same keys as SQLite's
// strftime expressions in sqlite/aggregate.ts: `YYYY-MM-DD` (day; week: its Monday), `YYYY-MM`,
// `YYYY`. Used where the database cannot bucket dates itself (FerretDB 1.x has no date operators).
import type { DateBucketGrouping } from './engine';

const DAY_MS = 86_400_000;
export const OPEN_START = -8.6e15;

export function bucketOf(lo: number, bucket: DateBucketGrouping['bucket']): string | undefined {
  if (!(lo > OPEN_START)) return undefined;
  let t = lo;
  if (bucket === 'week') {
    const day = Math.floor(lo / DAY_MS) * DAY_MS;
    t = day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS;
  }
  const iso = new Date(t).toISOString();
  return bucket === 'year' ? iso.slice(0, 4) : bucket === 'month' ? iso.slice(0, 7) : iso.slice(0, 10);
}
