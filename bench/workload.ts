// What every workload gets: where the server is, what was loaded, and the bounds of a run.
import type { IdPool } from './ids';
import { runLoad, type LoadResult, type LoadSpec } from './load';
import type { Row } from './rows';

export interface WorkloadContext {
  /** e.g. http://127.0.0.1:4312/fhir */
  baseUrl: string;
  /** The server process, for its CPU time (/proc); absent where a workload runs without one. */
  serverPid?: number;
  ids: IdPool;
  durationS: number;
  maxRequests: number;
  resources: number;
  /** Whether `--only` lets this workload id run. */
  wanted(id: string): boolean;
  log(s: string): void;
}

export const FHIR_JSON = 'application/fhir+json';

export function origin(baseUrl: string): { origin: string; basePath: string } {
  const u = new URL(baseUrl);
  return { origin: u.origin, basePath: u.pathname.replace(/\/$/, '') };
}

/** Round-robin over a list, shared by all connections of a run. */
export function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length];
}

export function loadRow(id: string, label: string, r: LoadResult, unit = 'req/s'): Row {
  const row: Row = { id, label, rate: r.rate, unit, p50Ms: r.p50Ms, p99Ms: r.p99Ms };
  if (r.failures) row.note = `${r.failures} failed of ${r.requests} (${r.firstFailure})`;
  if (r.requests === r.failures) return { id, label, note: `failed: ${r.firstFailure ?? 'no response'}` };
  return row;
}

export function load(ctx: WorkloadContext, spec: Omit<LoadSpec, 'url' | 'durationS' | 'maxRequests'> & { durationS?: number }): Promise<LoadResult> {
  return runLoad({ url: origin(ctx.baseUrl).origin, durationS: ctx.durationS, maxRequests: ctx.maxRequests, ...spec });
}

/** One request outside the measured load, to see whether a feature answers at all. */
export async function probe(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, headers: { accept: FHIR_JSON, ...(init?.headers as Record<string, string> | undefined) } });
  return { status: res.status, body: await res.text() };
}
