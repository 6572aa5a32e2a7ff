// One bounded load run with autocannon: fixed connections, stopped by whichever comes first of the
// duration and the request cap. Latencies are kept here at full precision, because autocannon's own
// histogram has 1 ms resolution and the read target (p50 < 0.5 ms) sits below it.
import autocannon from 'autocannon';

export interface LoadResult {
  requests: number;
  /** Completed 2xx responses per second. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx responses plus socket errors and timeouts. */
  failures: number;
  /** First failing status seen, to say why a row failed. */
  firstFailure?: string;
  seconds: number;
}

export type Request = autocannon.Request;

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  maxRequests: number;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  /** A request sequence per connection (autocannon `requests`), for dynamic paths and cycles. */
  requests?: Request[];
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let finish!: (r: autocannon.Result) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ((finish = resolve), (fail = reject)));
  // The callback form returns the emitter, which the per-response latencies need.
  const instance = autocannon({
    url: spec.url + (spec.path ?? ''),
    connections: spec.connections,
    duration: spec.durationS,
    // autocannon ignores `duration` when `amount` is set; maxOverallRequests keeps both bounds.
    maxOverallRequests: Math.max(spec.maxRequests, spec.connections),
    method: spec.method,
    body: spec.body,
    headers: spec.headers,
    requests: spec.requests,
    timeout: 30,
  }, (err, result) => (err ? fail(err) : finish(result)));
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
    else {
      failures++;
      firstFailure ??= `HTTP ${status}`;
    }
  });
  instance.on('reqError', (err: Error) => {
    failures++;
    firstFailure ??= err.message;
  });
  const result = await done;
  failures += result.timeouts;
  if (result.timeouts && !firstFailure) firstFailure = 'timeout';
  const seconds = Math.max(result.duration, 1e-3);
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length + failures,
    rate: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    failures,
    firstFailure,
    seconds,
  };
}

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
