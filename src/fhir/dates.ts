// Parsing of the FHIR date/dateTime/instant values that clients send as request parameters
// (`_since`, `_at`, …) into the half-open period of instants they denote.
const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface Period {
  /** Epoch milliseconds, inclusive. */
  start: number;
  /** Epoch milliseconds, exclusive. */
  end: number;
}

/**
 * `2020` → all of 2020; `2020-03-04T10:00:00Z` → that second; a time without zone is taken as
 * UTC (R4 leaves it to the server). Returns undefined for text that is not a FHIR date/dateTime.
 */
export function parseFhirDateTime(text: string): Period | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (month > 11 || day < 1 || day > 31) return undefined;
  const offsetMs = tz && tz !== 'Z' ? (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60000 : 0;
  const utc = (yy: number, mm: number, dd: number, hh = 0, mn = 0, ss = 0, ms = 0) => {
    const date = new Date(0);
    date.setUTCFullYear(yy, mm, dd);
    date.setUTCHours(hh, mn, ss, ms);
    return date.getTime();
  };
  if (!mo) return { start: utc(year, 0, 1), end: utc(year + 1, 0, 1) };
  if (!d) return { start: utc(year, month, 1), end: utc(year, month + 1, 1) };
  if (!h) {
    const start = utc(year, month, day);
    if (new Date(start).getUTCDate() !== day) return undefined;
    return { start, end: start + 86400000 };
  }
  const hours = Number(h);
  const minutes = Number(mi);
  if (hours > 23 || minutes > 59) return undefined;
  if (s === undefined) {
    const start = utc(year, month, day, hours, minutes) - offsetMs;
    return { start, end: start + 60000 };
  }
  const seconds = Number(s);
  if (seconds > 59) return undefined;
  const digits = frac ? frac.slice(1) : '';
  const ms = digits ? Number(digits.slice(0, 3).padEnd(3, '0')) : 0;
  const start = utc(year, month, day, hours, minutes, seconds, ms) - offsetMs;
  // Precision beyond the second: the period is one unit of the last digit given (at most 1 ms here).
  const unit = digits.length >= 3 ? 1 : digits.length === 2 ? 10 : digits.length === 1 ? 100 : 1000;
  return { start, end: start + unit };
}
