// `npm run bench`: loads generated data into a server process per engine, drives bounded load at
// it from this process, and prints one table per engine with the machine description. Progress
// goes to stderr; the report (Markdown) goes to stdout.
import os from 'node:os';
import path from 'node:path';
import { parseBenchArgs, USAGE, type BenchOptions } from './args';
import { ceilingRows } from './ceilings';
import { create, createExactDecimals, mixedCycle, operationCall, readById, readPaths, update } from './crud';
import { ensureDataset, sharedResourceCount, type Dataset } from './dataset';
import { mongoSetup, sqliteSetup, type EngineSetup } from './engines';
import { IdPool } from './ids';
import { ingestTransactions, runImportCli } from './ingest';
import { describeMachine, formatMachine } from './machine';
import { naRow, type Row } from './rows';
import { searchRows } from './search';
import { analyticsRows } from './analytics';
import { aiRows } from './ai';
import { startServer } from './server-process';
import { formatTable } from './table';
import { formatComparison } from './compare';
import { applyTargets } from './targets';
import { validationRows } from './validation';
import { tokenReadRows } from './token-read';
import { matchingBench } from './matching';
import { bookingRow } from './booking';
import type { WorkloadContext } from './workload';

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const MiB = 1024 * 1024;

function wantedBy(opts: BenchOptions) {
  return (id: string) => !opts.only.length || opts.only.some((o) => id.includes(o));
}

async function benchEngine(setup: EngineSetup, opts: BenchOptions, ds: Dataset): Promise<{ rows: Row[]; store: string }> {
  const wanted = wantedBy(opts);
  const store = `${opts.size.label}-s${opts.seed}`;
  const rows: Row[] = [];
  const ids = new IdPool();

  // Both measured servers (ingest, then the workloads on the loaded store) are profiled when asked.
  const cpuProf = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.cpuProfDir)}`] : [];

  // 1. Load through HTTP on an empty store: this is the ingest row.
  await setup.reset(store);
  let server = await startServer({ env: setup.env(store), nodeArgs: cpuProf });
  try {
    log(`${setup.name}: ingesting ${ds.resources} resources with ${opts.ingestClients} clients…`);
    const ing = await ingestTransactions(server.baseUrl, ds, opts.ingestClients, ids);
    const label = `ingest: transaction Bundles over HTTP (${opts.ingestClients} clients)`;
    const rate = ing.resources / ing.seconds;
    const failed = ing.failures ? `; ${ing.failures} failed (${ing.firstFailure})` : '';
    if (ing.fallbackReason) {
      rows.push(naRow('ingest.transaction', label, `${ing.fallbackReason}; loaded by PUT instead at ${Math.round(rate)} res/s${failed}`));
    } else {
      rows.push({ id: 'ingest.transaction', label, rate, unit: 'res/s', note: `${ing.resources} resources in ${ing.seconds.toFixed(1)} s${failed}` });
    }
  } finally {
    await server.stop();
  }
  const bytes = await setup.sizeOnDisk(store);
  rows.push(bytes === undefined ? naRow('disk', 'database size on disk', 'not reported') : { id: 'disk', label: 'database size on disk', rate: bytes / MiB, unit: 'MiB', note: `${Math.round(bytes / ds.resources)} B/resource` });

  // 2. Restart on the loaded store: start-up time, then the measured workloads, reads first and
  //    writes last so that searches see exactly the generated data.
  server = await startServer({ env: setup.env(store), nodeArgs: cpuProf });
  try {
    rows.push({ id: 'startup', label: 'start-up on the loaded store (spawn → ready)', rate: server.startupWallMs, unit: 'ms', note: `server reports ${server.startupReportedMs} ms` });
    const ctx: WorkloadContext = { baseUrl: server.baseUrl, serverPid: server.child.pid, ids, durationS: opts.durationS, maxRequests: opts.maxRequests, resources: ds.resources, wanted, log };
    let read32: Row | undefined;
    let read1: Row | undefined;
    if (wanted('read.1')) rows.push((read1 = await step('read.1', () => readById(ctx, 1))));
    if (wanted('operation.1')) rows.push(await step('operation.1', () => operationCall(ctx, read1)));
    if (wanted('read.32')) rows.push((read32 = await step('read.32', () => readById(ctx, 32))));
    if (wanted('ceiling')) rows.push(...(await step('ceilings', () => ceilingRows(ctx, readPaths(ctx), read32))));
    rows.push(...(await step('search', () => searchRows(ctx))));
    if (wanted('analytics') || opts.only.some((o) => o.startsWith('analytics.'))) rows.push(...(await step('analytics', () => analyticsRows(ctx))));
    if (wanted('ai')) rows.push(...(await step('ai', () => aiRows(ctx))));
    if (wanted('create.16')) rows.push(await step('create.16', () => create(ctx)));
    if (wanted('create.16.decimals')) rows.push(await step('create.16.decimals', () => createExactDecimals(ctx)));
    if (wanted('update.16')) rows.push(await step('update.16', () => update(ctx)));
    if (wanted('crud.cycle')) rows.push(await step('crud.cycle', () => mixedCycle(ctx)));
    for (const connections of [32, 64]) if (wanted(`book.${connections}`)) rows.push(await step(`book.${connections}`, () => bookingRow(ctx, connections)));
    const rss = server.peakRss();
    rows.push(rss === undefined ? naRow('rss', 'peak RSS of the server process', 'no /proc') : { id: 'rss', label: 'peak RSS of the server process (whole run)', rate: rss / MiB, unit: 'MiB' });
  } finally {
    await server.stop();
  }

  // 2b. Read by id with a token vs anonymously, back to back on the loaded store.
  if (wanted('read.token') || wanted('read.anonymous')) {
    rows.push(...(await step('read.token', () => tokenReadRows(setup, store, { ids, durationS: opts.durationS, maxRequests: opts.maxRequests, resources: ds.resources, wanted, log }))));
  }

  // 3. `nimbus-fhir import` into a fresh store, with no server running beside it.
  if (wanted('ingest.import')) {
    const importStore = `${store}-import`;
    await setup.reset(importStore);
    log(`${setup.name}: nimbus-fhir import…`);
    const imp = await runImportCli(ds, setup.env(importStore));
    const label = 'ingest: nimbus-fhir import <ndjson dir>';
    if (!imp.implemented) rows.push(naRow('ingest.import', label, imp.reason ?? 'failed'));
    else {
      const failed = imp.failed ? `; ${imp.failed} failed` : '';
      const note = `${imp.resources} resources in ${imp.loadSeconds!.toFixed(1)} s (${imp.seconds.toFixed(1)} s wall incl. start-up)${failed}`;
      rows.push({ id: 'ingest.import', label, rate: imp.resources / imp.loadSeconds!, unit: 'res/s', note });
    }
    await setup.reset(importStore);
  }
  applyTargets(rows, { resources: ds.resources });
  return { rows, store: setup.describe(store) };
}

/** Runs one workload; a workload that throws becomes a row saying so, not a lost run. */
async function step<T extends Row | Row[]>(id: string, fn: () => Promise<T>): Promise<T> {
  log(`running ${id}`);
  try {
    return await fn();
  } catch (e) {
    const row = naRow(id, id, `failed: ${(e as Error).message.split('\n')[0].slice(0, 120)}`);
    row.note = row.note!.replace(/^n\/a \((.*)\)$/, '$1');
    return (id === 'ceilings' || id === 'search' || id === 'read.token' || id === 'analytics' || id === 'ai' ? [row] : row) as T;
  }
}

async function main(): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2), sharedResourceCount);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const workDir = path.resolve(opts.workDir ?? path.join(os.tmpdir(), 'nimbus-bench'));
  const machine = describeMachine();
  // Validation is measured in this process, engine-independent; `--only validate` runs just that.
  const validation: string[] = [];
  if (wantedBy(opts)('validate')) {
    log('validation…');
    const rows = validationRows();
    applyTargets(rows, { resources: 0 });
    validation.push('', '## Validation (in process, CPU time per call)', '', `Load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`, '', formatTable(rows));
  }
  if (opts.only.length && opts.only.every((o) => o.startsWith('validate'))) {
    process.stdout.write([`# Nimbus FHIR bench — validation only`, '', formatMachine(machine), ...validation].join('\n') + '\n');
    return 0;
  }
  // Record matching runs in this process at the issue's size (10,000 people; `node
  // dist/bench/matching.js --patients N` for others); `--only matching` runs just that.
  if (wantedBy(opts)('matching')) validation.push(...(await matchingBench({ patients: 10000, seed: opts.seed, engines: opts.engines, queries: 300, log })));
  if (opts.only.length && opts.only.every((o) => o.startsWith('validate') || o.startsWith('matching'))) {
    process.stdout.write([`# Nimbus FHIR bench — ${opts.only.join(', ')} only`, '', formatMachine(machine), ...validation].join('\n') + '\n');
    return 0;
  }
  const ds = await ensureDataset(workDir, opts.size.patients, opts.seed, log);
  const out: string[] = [
    `# Nimbus FHIR bench — size ${opts.size.label}: ${ds.resources.toLocaleString('en-US')} resources (${opts.size.patients} patients, seed ${opts.seed})`,
    '',
    formatMachine(machine),
    // Other work on the machine skews every figure: say how busy it was when the run began.
    `Load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min)`,
    `Load: autocannon in the bench process; server in its own process; 127.0.0.1; each workload ≤ ${opts.durationS} s and ≤ ${opts.maxRequests.toLocaleString('en-US')} requests.`,
  ];
  out.push(...validation);
  const measured: { name: string; rows: Row[] }[] = [];
  for (const name of opts.engines) {
    const setup = name === 'sqlite' ? sqliteSetup(workDir) : mongoSetup(process.env.MONGODB_URI);
    out.push('', `## ${name === 'sqlite' ? 'SQLite' : 'MongoDB'}`, '');
    if (setup.skipped) {
      out.push(`skipped: ${setup.skipped}`);
      continue;
    }
    try {
      const { rows, store } = await benchEngine(setup, opts, ds);
      out.push(`store: ${store}`, '', formatTable(rows));
      measured.push({ name: name === 'sqlite' ? 'SQLite' : 'MongoDB', rows });
    } catch (e) {
      out.push(`failed: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`);
    }
  }
  if (measured.length === 2) {
    const [a, b] = measured;
    out.push('', `## ${b.name} compared with ${a.name} (same data, same run)`, '', formatComparison(a.name, a.rows, b.name, b.rows));
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
