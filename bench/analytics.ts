// Analytics rows (issue 12): $everything and $lastn of one patient under load (p50 of the first
// page / answer), and the population computations timed one call at a time ($population-stats of
// one code, each shipped measure's population report, a whole-store $export in resources/s).
import fs from 'node:fs';
import path from 'node:path';
import { naRow, type Row } from './rows';
import { readPaths, rotatingGet } from './crud';
import { FHIR_JSON, load, loadRow, origin, probe, type WorkloadContext } from './workload';

const WEIGHT = 'system=http://loinc.org&code=29463-7';

export async function analyticsRows(ctx: WorkloadContext): Promise<Row[]> {
  const rows: Row[] = [];
  const patients = readPaths(ctx);
  const { basePath } = origin(ctx.baseUrl);
  if (ctx.wanted('analytics.everything')) {
    const label = '$everything of one patient, first page (_count=50, 1 conn)';
    if (!patients.length) rows.push(naRow('analytics.everything', label, 'no Patient ids were loaded'));
    else {
      const paths = patients.map((p) => `${p}/$everything?_count=50`);
      await load(ctx, { connections: 1, requests: rotatingGet(paths), durationS: Math.min(1, ctx.durationS / 4) });
      rows.push(loadRow('analytics.everything', label, await load(ctx, { connections: 1, requests: rotatingGet(paths) })));
    }
  }
  if (ctx.wanted('analytics.lastn')) {
    const label = '$lastn max=3, all codes, of one patient (1 conn)';
    if (!patients.length) rows.push(naRow('analytics.lastn', label, 'no Patient ids were loaded'));
    else {
      const paths = ctx.ids.get('Patient').slice(0, 1000).map((id) => `${basePath}/Observation/$lastn?max=3&patient=Patient/${id}`);
      await load(ctx, { connections: 1, requests: rotatingGet(paths), durationS: Math.min(1, ctx.durationS / 4) });
      rows.push(loadRow('analytics.lastn', label, await load(ctx, { connections: 1, requests: rotatingGet(paths) })));
    }
  }
  if (ctx.wanted('analytics.population-stats')) {
    rows.push(await timed(ctx, 'analytics.population-stats', '$population-stats of body weight, every statistic, 16 strata (one call)', `${ctx.baseUrl}/Observation/$population-stats?${WEIGHT}&statistic=average,median,std-dev,4-lower,4-upper,regression`));
  }
  // Every measure shipped in fhir-profiles/measures/, its population report (strata included) over
  // the last full year of the generator's record window (which ends 2026-01-01).
  for (const measure of shippedMeasures()) {
    const id = `analytics.measure.${measure.id}`;
    if (!ctx.wanted(id)) continue;
    rows.push(await timed(ctx, id, `measure population report: ${measure.title} (one call)`, `${ctx.baseUrl}/Measure/${measure.id}/$evaluate-measure?periodStart=2025-01-01&periodEnd=2025-12-31`));
  }
  if (ctx.wanted('analytics.export')) rows.push(await exportRow(ctx));
  return rows;
}

function shippedMeasures(): Array<{ id: string; title: string }> {
  const dir = path.resolve(__dirname, '..', '..', 'fhir-profiles', 'measures');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { id: string; title: string });
}

/** The median of three calls (after one warm-up), in ms. */
async function timed(ctx: WorkloadContext, id: string, label: string, url: string): Promise<Row> {
  const first = await probe(url);
  if (first.status !== 200) return naRow(id, label, `answered ${first.status}: ${first.body.slice(0, 100)}`);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await probe(url);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  ctx.log(`${id}: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  return { id, label, rate: times[1], unit: 'ms', note: 'median of 3' };
}

/** A whole-store system export, kick-off to manifest, in resources per second. */
async function exportRow(ctx: WorkloadContext): Promise<Row> {
  const id = 'analytics.export';
  const label = 'whole-store $export (kick-off → manifest)';
  const t0 = performance.now();
  const kick = await fetch(`${ctx.baseUrl}/$export`, { headers: { accept: FHIR_JSON, prefer: 'respond-async' } });
  if (kick.status !== 202) return naRow(id, label, `kick-off answered ${kick.status}`);
  const status = kick.headers.get('content-location')!;
  for (;;) {
    const poll = await fetch(status);
    if (poll.status === 200) {
      const manifest = (await poll.json()) as { output: Array<{ count: number }> };
      const seconds = (performance.now() - t0) / 1000;
      const resources = manifest.output.reduce((n, o) => n + o.count, 0);
      await fetch(status, { method: 'DELETE' });
      return { id, label, rate: resources / seconds, unit: 'res/s', note: `${resources} resources in ${seconds.toFixed(1)} s, ${manifest.output.length} files` };
    }
    if (poll.status !== 202) return naRow(id, label, `status answered ${poll.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
