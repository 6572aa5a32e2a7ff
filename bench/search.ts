// Search rows: the three selectivities of Observation?code= (first page, and the full download
// with _count=1000 following `next` links), code+date, 1,000 patients via POST _search, a birth
// date range, a chain, _include, _summary=count and Patient/$everything. First pages run on one
// connection, so p50 is the latency a user waits for.
import type { Bundle } from '@medplum/fhirtypes';
import { SELECTIVITY_CODES } from '../src/generate';
import { naRow, type Row } from './rows';
import { FHIR_JSON, load, loadRow, origin, probe, type WorkloadContext } from './workload';

const code = (level: keyof typeof SELECTIVITY_CODES) => encodeURIComponent(`${SELECTIVITY_CODES[level].system}|${SELECTIVITY_CODES[level].code}`);

function whyNot(status: number, body: string): string {
  if (status === 404 || status === 405 || status === 501) return `not implemented: HTTP ${status}`;
  let diag = '';
  try {
    diag = (JSON.parse(body) as { issue?: { diagnostics?: string }[] }).issue?.[0]?.diagnostics ?? '';
  } catch {
    /* not an OperationOutcome */
  }
  return `HTTP ${status}${diag ? `: ${diag.slice(0, 80)}` : ''}`;
}

/** undefined when Observation search answers with matches; otherwise why the search rows are n/a. */
export async function searchUnavailable(ctx: WorkloadContext): Promise<string | undefined> {
  const p = await probe(`${ctx.baseUrl}/Observation?code=${code('common')}&_count=1`);
  if (p.status !== 200) return whyNot(p.status, p.body);
  const b = JSON.parse(p.body) as Bundle;
  if (!b.total && !b.entry?.length) return 'search answers but finds no loaded Observation: indexing not wired?';
  return undefined;
}

interface Query {
  id: string;
  label: string;
  path: string;
  method?: 'GET' | 'POST';
  body?: string;
  /** _summary=count rows report matches/s: total × requests/s. */
  countsMatches?: boolean;
}

async function firstPage(ctx: WorkloadContext, q: Query): Promise<Row> {
  const { basePath } = origin(ctx.baseUrl);
  const headers: Record<string, string> = { accept: FHIR_JSON, ...(q.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
  const t0 = performance.now();
  const p = await probe(`${ctx.baseUrl}${q.path}`, { method: q.method ?? 'GET', body: q.body, headers });
  const probeMs = performance.now() - t0;
  if (p.status !== 200) return naRow(q.id, q.label, whyNot(p.status, p.body));
  const bundle = JSON.parse(p.body) as Bundle;
  // A query slower than the whole time bound completes nothing under load: report the probe's one
  // timing instead of an empty row.
  const slow = probeMs > ctx.durationS * 1000 * 0.5;
  const r = slow
    ? { requests: 1, rate: 1000 / probeMs, p50Ms: probeMs, p99Ms: probeMs, failures: 0, seconds: probeMs / 1000 }
    : await load(ctx, { connections: 1, method: q.method ?? 'GET', path: basePath + q.path, body: q.body, headers });
  const matched = bundle.total ?? bundle.entry?.filter((e) => e.search?.mode !== 'include').length ?? 0;
  if (q.countsMatches) {
    const row = loadRow(q.id, q.label, r, 'matches/s');
    if (row.rate !== undefined) row.rate *= bundle.total ?? 0;
    row.note = [row.note, `total ${bundle.total}, ${Math.round(r.rate)} req/s`].filter(Boolean).join('; ');
    return row;
  }
  const row = loadRow(q.id, q.label, r);
  const slowNote = slow ? `one request: slower than half the ${ctx.durationS} s bound` : undefined;
  row.note = [row.note, slowNote, `${bundle.entry?.length ?? 0} entries on page 1${bundle.total !== undefined ? ` of ${matched}` : ''}`].filter(Boolean).join('; ');
  return row;
}

/** Traversals of one download: a result of one page takes a few milliseconds, so one traversal
 * alone says more about the machine's noise than about the server. */
const TRAVERSALS = 5;

/**
 * Follows `next` links from the first page, timing every page; repeated up to TRAVERSALS times
 * within the time bound. The rate is the median traversal's resources per second; the note keeps
 * the first traversal's rate (cold connection and caches) next to it.
 */
async function download(ctx: WorkloadContext, id: string, label: string, path: string): Promise<Row> {
  const deadline = performance.now() + ctx.durationS * 1000;
  const latencies: number[] = [];
  const rates: number[] = [];
  let resources = 0;
  let pages = 0;
  let stopped = false;
  while (rates.length < TRAVERSALS && performance.now() < deadline) {
    let url: string | undefined = `${ctx.baseUrl}${path}`;
    resources = 0;
    pages = 0;
    const started = performance.now();
    while (url && performance.now() < deadline && pages < ctx.maxRequests) {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { accept: FHIR_JSON } });
      const text = await res.text();
      latencies.push(performance.now() - t0);
      if (res.status !== 200) return naRow(id, label, whyNot(res.status, text));
      const b = JSON.parse(text) as Bundle;
      resources += b.entry?.length ?? 0;
      pages++;
      url = b.link?.find((l) => l.relation === 'next')?.url;
    }
    rates.push(resources / ((performance.now() - started) / 1000));
    if (url) {
      stopped = true;
      break;
    }
  }
  latencies.sort((a, b) => a - b);
  const sortedRates = [...rates].sort((a, b) => a - b);
  const traversals = rates.length > 1 ? `; median of ${rates.length} traversals (first ${Math.round(rates[0]).toLocaleString('en-US')} res/s)` : '';
  return {
    id,
    label,
    rate: sortedRates[Math.floor(sortedRates.length / 2)],
    unit: 'res/s',
    p50Ms: latencies[Math.floor(latencies.length / 2)],
    p99Ms: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))],
    note: `${resources} resources in ${pages} pages${stopped ? ' (stopped by the time/count bound)' : ''}${traversals}`,
  };
}

export async function searchRows(ctx: WorkloadContext): Promise<Row[]> {
  const patients = ctx.ids.get('Patient');
  // 1,000 ids as the row promises: real ones first, then ids that match nothing, so the query
  // shape is the same at every size even when fewer patients exist.
  const thousand = Array.from({ length: 1000 }, (_, i) => (i < patients.length ? `Patient/${patients[i]}` : `Patient/bench-missing-${i}`));
  const levels = ['rare', 'uncommon', 'common'] as const;
  const share = (l: (typeof levels)[number]) => `${SELECTIVITY_CODES[l].share * 100} %`;
  const queries: (Query | { download: true; id: string; label: string; path: string })[] = [
    ...levels.map((l) => ({ id: `search.code.${l}.first`, label: `Observation?code= ${share(l)}, first page`, path: `/Observation?code=${code(l)}` })),
    ...levels.map((l) => ({ download: true as const, id: `search.code.${l}.download`, label: `Observation?code= ${share(l)}, all pages _count=1000`, path: `/Observation?code=${code(l)}&_count=1000` })),
    { id: 'search.code-date', label: 'Observation?code= 5 % &date=ge2024', path: `/Observation?code=${code('common')}&date=ge2024-01-01` },
    { id: 'search.patient-post', label: 'POST Observation/_search patient= 1,000 ids', path: '/Observation/_search', method: 'POST', body: `patient=${encodeURIComponent(thousand.join(','))}` },
    { id: 'search.birthdate', label: 'Patient?birthdate=gt1980-01-01', path: '/Patient?birthdate=gt1980-01-01' },
    { id: 'search.chained', label: 'Observation?code= 2 % &patient.gender=female', path: `/Observation?code=${code('uncommon')}&patient.gender=female` },
    { id: 'search.include', label: 'Observation?code= 2 % &_include=Observation:patient', path: `/Observation?code=${code('uncommon')}&_include=Observation:patient` },
    { id: 'search.count.code', label: 'Observation?code= 5 % &_summary=count', path: `/Observation?code=${code('common')}&_summary=count`, countsMatches: true },
    { id: 'search.count.all', label: 'Observation?_summary=count', path: '/Observation?_summary=count', countsMatches: true },
    { id: 'search.everything', label: 'Patient/[id]/$everything', path: `/Patient/${patients[0] ?? 'none'}/$everything` },
  ];
  const unavailable = await searchUnavailable(ctx);
  const rows: Row[] = [];
  for (const q of queries) {
    if (!ctx.wanted(q.id)) continue;
    if (unavailable && q.id !== 'search.everything') {
      rows.push(naRow(q.id, q.label, unavailable));
      continue;
    }
    ctx.log(`  ${q.id}`);
    rows.push('download' in q ? await download(ctx, q.id, q.label, q.path) : await firstPage(ctx, q));
  }
  return rows;
}
