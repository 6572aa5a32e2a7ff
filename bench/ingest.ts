// Loading a dataset into a running server, measured as ingest throughput:
//  - transaction Bundles POSTed to [base] by several concurrent clients (the HTTP ingest row);
//  - when transactions are not available, each NDJSON resource PUT to [type]/[id] instead, so
//    the other rows still have data (the ingest row then says why it is n/a);
//  - `nimbus-fhir import <dir>` in its own process against a fresh database (the import row).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Bundle } from '@medplum/fhirtypes';
import { bundleFiles, type Dataset } from './dataset';
import { IdPool } from './ids';
import { MAIN } from './server-process';

export interface IngestResult {
  method: 'transaction' | 'put';
  resources: number;
  seconds: number;
  failures: number;
  firstFailure?: string;
  /** Why transactions were not used, when they were not. */
  fallbackReason?: string;
}

const FHIR_JSON = 'application/fhir+json';

/** Runs `work` over items with `clients` concurrent workers, in order of pick-up. */
async function pool<T>(items: readonly T[], clients: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(clients, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

async function postBundle(baseUrl: string, body: string): Promise<{ status: number; bundle?: Bundle; text: string }> {
  const res = await fetch(baseUrl, { method: 'POST', body, headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON } });
  const text = await res.text();
  let bundle: Bundle | undefined;
  try {
    bundle = JSON.parse(text) as Bundle;
  } catch {
    /* reported through status */
  }
  return { status: res.status, bundle, text };
}

function collect(ids: IdPool, bundle: Bundle | undefined): void {
  for (const e of bundle?.entry ?? []) if (e.response?.location) ids.addLocation(e.response.location);
}

export async function ingestTransactions(baseUrl: string, ds: Dataset, clients: number, ids: IdPool): Promise<IngestResult> {
  const files = bundleFiles(ds);
  // The shared directory goes first and alone: patient records reference its resources.
  const first = await postBundle(baseUrl, fs.readFileSync(files[0], 'utf8'));
  if (first.status === 404 || first.status === 405 || first.status === 501 || (first.status >= 400 && /not[- ](supported|implemented)|unknown route/i.test(first.text))) {
    // e.g. MongoDB without a replica set (FerretDB) refuses atomic transactions with not-supported.
    return { ...(await ingestPuts(baseUrl, ds, clients, ids)), fallbackReason: `transaction Bundles refused (HTTP ${first.status}: ${diagnostics(first.text)})` };
  }
  let failures = first.status >= 300 ? 1 : 0;
  let firstFailure = failures ? `HTTP ${first.status}: ${first.text.slice(0, 200)}` : undefined;
  collect(ids, first.bundle);
  let resources = (first.bundle?.entry ?? []).length;
  const started = performance.now();
  await pool(files.slice(1), clients, async (file) => {
    const body = await fs.promises.readFile(file, 'utf8');
    const r = await postBundle(baseUrl, body);
    if (r.status >= 300) {
      failures++;
      firstFailure ??= `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
      return;
    }
    resources += r.bundle?.entry?.length ?? 0;
    collect(ids, r.bundle);
  });
  return { method: 'transaction', resources, seconds: (performance.now() - started) / 1000, failures, firstFailure };
}

async function* ndjsonLines(ds: Dataset): AsyncGenerator<string> {
  // Types in dependency-friendly order is not needed: the server does not enforce referential
  // integrity on PUT, and ids are the generator's own.
  for (const name of fs.readdirSync(ds.ndjsonDir).filter((f) => f.endsWith('.ndjson')).sort()) {
    const rl = readline.createInterface({ input: fs.createReadStream(path.join(ds.ndjsonDir, name)), crlfDelay: Infinity });
    for await (const line of rl) if (line.trim()) yield line;
  }
}

export async function ingestPuts(baseUrl: string, ds: Dataset, clients: number, ids: IdPool): Promise<IngestResult> {
  let failures = 0;
  let firstFailure: string | undefined;
  let resources = 0;
  const started = performance.now();
  const lines = ndjsonLines(ds);
  let exhausted = false;
  // Each worker pulls the next line: the async generator serialises pulls, so no line is read twice.
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!exhausted) {
        const n = await lines.next();
        if (n.done) {
          exhausted = true;
          return;
        }
        const { resourceType, id } = JSON.parse(n.value) as { resourceType: string; id: string };
        const res = await fetch(`${baseUrl}/${resourceType}/${id}`, { method: 'PUT', body: n.value, headers: { 'content-type': FHIR_JSON, prefer: 'return=minimal' } });
        await res.arrayBuffer();
        if (res.status >= 300) {
          failures++;
          firstFailure ??= `HTTP ${res.status} on PUT ${resourceType}`;
        } else {
          resources++;
          ids.add(resourceType, id);
        }
      }
    }),
  );
  return { method: 'put', resources, seconds: (performance.now() - started) / 1000, failures, firstFailure };
}

export interface ImportResult {
  implemented: boolean;
  reason?: string;
  resources: number;
  failed?: number;
  /** Wall time of the whole process, start-up included. */
  seconds: number;
  /** The loading time the CLI reports (after start-up): the steady-state ingest rate. */
  loadSeconds?: number;
  output: string;
}

/** `nimbus-fhir import <ndjson dir>` as a user would run it, wall time including process start. */
export async function runImportCli(ds: Dataset, env: Record<string, string>): Promise<ImportResult> {
  const started = performance.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'import', ds.ndjsonDir], {
      env: { ...process.env, NIMBUS_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (c) => resolve({ code: c, output: out }));
  });
  const seconds = (performance.now() - started) / 1000;
  if (/unknown command/i.test(output)) return { implemented: false, reason: 'not implemented', resources: 0, seconds, output };
  // The CLI's own summary: "import finished in 12.3 s: N loaded, S skipped (unchanged), F failed — R resources/s".
  const m = /import finished in ([\d.]+) s: (\d+) loaded, (\d+) skipped[^,]*, (\d+) failed/.exec(output);
  if (!m) return { implemented: false, reason: `exit ${code}: ${lastLine(output)}`, resources: 0, seconds, output };
  return { implemented: true, resources: Number(m[2]) + Number(m[3]), failed: Number(m[4]), seconds, loadSeconds: Number(m[1]), output };
}

function diagnostics(text: string): string {
  try {
    return ((JSON.parse(text) as { issue?: { diagnostics?: string }[] }).issue?.[0]?.diagnostics ?? '').slice(0, 100);
  } catch {
    return text.slice(0, 100);
  }
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop()?.slice(0, 160) ?? '';
}
