/**
 * Time arithmetic for the generator. Everything is epoch milliseconds in UTC so that output does not
 * depend on the machine's time zone (a local-time Date method here would break byte-identical runs).
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const YEAR = 365.25 * DAY;

/** FHIR dateTime/instant with seconds precision, always UTC. */
export function dateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** FHIR date (YYYY-MM-DD). */
export function date(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function ageAt(birthMs: number, atMs: number): number {
  return (atMs - birthMs) / YEAR;
}

/** Start of the UTC day containing ms. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/** Moves a time to a weekday (Mon–Fri) at the given UTC hour/minute, for clinic opening hours. */
export function clinicTime(ms: number, hour: number, minute: number): number {
  let day = startOfDay(ms);
  const weekday = new Date(day).getUTCDay();
  if (weekday === 6) day += 2 * DAY;
  else if (weekday === 0) day += DAY;
  return day + hour * HOUR + minute * MINUTE;
}
