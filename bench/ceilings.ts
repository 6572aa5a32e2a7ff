// Same-run ceilings for a read by id: what bare node:http and bare Express 5 serve on this machine,
// right now, under the same load shape as our read row. Our read throughput is then shown as a
// share of each, which stays meaningful across machines where absolute req/s do not.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rotatingGet } from './crud';
import { runLoad } from './load';
import type { Row } from './rows';
import { stop } from './server-process';
import type { WorkloadContext } from './workload';

async function startCeiling(kind: 'http' | 'express', bodyFile: string, contentType: string) {
  const child = spawn(process.execPath, [path.join(__dirname, 'ceiling-server.js'), kind, bodyFile, contentType], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`ceiling server ${kind} exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** `paths` are the read row's paths: the ceilings get the identical request sequence. */
export async function ceilingRows(ctx: WorkloadContext, paths: string[], ours: Row | undefined, connections = 32): Promise<Row[]> {
  if (!paths.length) return [];
  const res = await fetch(`${ctx.baseUrl}${paths[0].replace(/^\/fhir/, '')}`, { headers: { accept: 'application/fhir+json' } });
  const bytes = Buffer.from(await res.arrayBuffer());
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-ceiling-')), 'body.json');
  fs.writeFileSync(file, bytes);
  const contentType = res.headers.get('content-type') ?? 'application/fhir+json';
  const rows: Row[] = [];
  for (const kind of ['http', 'express'] as const) {
    const label = kind === 'http' ? 'bare node:http' : 'bare Express 5';
    const c = await startCeiling(kind, file, contentType);
    try {
      const spec = { url: c.url, connections, maxRequests: ctx.maxRequests, requests: rotatingGet(paths) };
      await runLoad({ ...spec, durationS: Math.min(1, ctx.durationS / 4) });
      const r = await runLoad({ ...spec, durationS: ctx.durationS });
      rows.push({ id: `ceiling.${kind}`, label: `ceiling: ${label}, same ${bytes.length} B (${connections} conns)`, rate: r.rate, unit: 'req/s', p50Ms: r.p50Ms, p99Ms: r.p99Ms });
      if (ours?.rate !== undefined) {
        rows.push({ id: `ceiling.${kind}.share`, label: `read by id as % of ${label}`, rate: (100 * ours.rate) / r.rate, unit: '%' });
      }
    } finally {
      await stop(c.child);
    }
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return rows;
}
