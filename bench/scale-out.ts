// `npm run bench:scale-out`: throughput of reads by id and of a mixed workload (reads by id,
// searches, creates, updates) through a round-robin proxy in front of 1, 2 and 3 server processes over ONE MongoDB
// database (docs/scale-out.md reports the figures). Each process count gets a fresh database,
// processes started together, the same seed data and the same bounded load. The load generator,
// the proxy, the server processes and the database all share this machine: on a small machine the
// figures are a floor, not what N processes on N machines would do.
//
//   npm run bench:scale-out -- [--processes 1,2,3] [--duration 15] [--connections 6] [--patients 200]
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { runLoad, type Request } from './load';
import { describeMachine, formatMachine } from './machine';
import { startRoundRobinProxy } from './round-robin-proxy';
import { startServer, type RunningServer } from './server-process';

const log = (s: string) => process.stderr.write(`[scale-out] ${s}\n`);
const FHIR = 'application/fhir+json';

interface Options {
  processes: number[];
  durationS: number;
  connections: number;
  patients: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: { processes: { type: 'string' }, duration: { type: 'string' }, connections: { type: 'string' }, patients: { type: 'string' } },
  });
  const int = (raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`not a whole number ≥ 1: '${raw}'`);
    return Number(raw);
  };
  return {
    processes: (values.processes ?? '1,2,3').split(',').map((p) => int(p.trim(), 1)),
    durationS: int(values.duration, 15),
    connections: int(values.connections, 6),
    patients: int(values.patients, 200),
  };
}

/** Patients with one Observation each, loaded in batches through one process. */
async function seed(baseUrl: string, patients: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < patients; start += 50) {
    const entry = [];
    for (let i = start; i < Math.min(patients, start + 50); i++) {
      const id = `bench-p${i}`;
      ids.push(id);
      entry.push({ resource: { resourceType: 'Patient', id, name: [{ family: `Family${i % 20}`, given: ['Ann'] }], gender: i % 2 ? 'male' : 'female', birthDate: '1970-01-01' }, request: { method: 'PUT', url: `Patient/${id}` } });
      entry.push({
        resource: { resourceType: 'Observation', id: `bench-o${i}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${id}` }, valueQuantity: { value: 60 + (i % 40), unit: '/min' } },
        request: { method: 'PUT', url: `Observation/bench-o${i}` },
      });
    }
    const res = await fetch(baseUrl, { method: 'POST', headers: { 'Content-Type': FHIR }, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    if (res.status !== 200) throw new Error(`seeding failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  }
  return ids;
}

/** Reads by id, ids rotating so connections spread over the data. */
function readRequests(ids: string[]): Request[] {
  let n = 0;
  return [{ method: 'GET', headers: { accept: FHIR }, setupRequest: (req) => ({ ...req, path: `/fhir/Patient/${ids[n++ % ids.length]}` }) }];
}

/**
 * One round of ten requests per connection: 6 reads by id, 2 searches, 1 create, 1 update
 * (read-mostly, as clinical traffic is). Ids rotate so connections spread over the data.
 */
function mixedRequests(ids: string[]): Request[] {
  let n = 0;
  const nextId = () => ids[n++ % ids.length];
  const read: Request = { method: 'GET', headers: { accept: FHIR }, setupRequest: (req) => ({ ...req, path: `/fhir/Patient/${nextId()}` }) };
  const searches: Request[] = [
    { method: 'GET', headers: { accept: FHIR }, setupRequest: (req) => ({ ...req, path: `/fhir/Patient?family=Family${n++ % 20}&_count=10` }) },
    { method: 'GET', headers: { accept: FHIR }, setupRequest: (req) => ({ ...req, path: `/fhir/Observation?subject=Patient/${nextId()}` }) },
  ];
  const create: Request = { method: 'POST', path: '/fhir/Patient', headers: { 'content-type': FHIR, prefer: 'return=minimal' }, body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Created' }] }) };
  const update: Request = {
    method: 'PUT',
    headers: { 'content-type': FHIR, prefer: 'return=minimal' },
    setupRequest: (req) => {
      const id = nextId();
      return { ...req, path: `/fhir/Patient/${id}`, body: JSON.stringify({ resourceType: 'Patient', id, name: [{ family: `Family${n % 20}`, given: ['Updated'] }], active: true }) };
    },
  };
  return [read, searches[0], read, read, create, read, searches[1], read, update, read];
}

interface Figure {
  processes: number;
  workload: string;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failures: number;
  firstFailure?: string;
  perProcess: number[];
  load: string;
}

async function measure(uri: string, count: number, opts: Options): Promise<Figure[]> {
  const database = `nimbusbenchscale${count}${randomBytes(3).toString('hex')}`;
  const env = { NIMBUS_ENGINE: 'mongodb', MONGODB_URI: uri, NIMBUS_MONGODB_DATABASE: database, NIMBUS_LOG_LEVEL: 'warn' };
  log(`${count} process(es): starting together over ${database}…`);
  const servers: RunningServer[] = await Promise.all(Array.from({ length: count }, () => startServer({ env, timeoutMs: 180_000 })));
  const proxy = await startRoundRobinProxy(servers.map((s) => new URL(s.baseUrl).origin));
  try {
    const ids = await seed(servers[0].baseUrl, opts.patients);
    log(`${count} process(es): seeded ${ids.length} patients; warming up…`);
    await runLoad({ url: proxy.url, connections: opts.connections, durationS: 2, maxRequests: 1_000_000, requests: readRequests(ids) });
    const figures: Figure[] = [];
    for (const [workload, requests] of [
      ['reads by id', readRequests(ids)],
      ['mixed: 6 reads, 2 searches, 1 create, 1 update', mixedRequests(ids)],
    ] as const) {
      const before = [...proxy.counts];
      log(`${count} process(es): ${workload}, ${opts.durationS} s with ${opts.connections} connections…`);
      const r = await runLoad({ url: proxy.url, connections: opts.connections, durationS: opts.durationS, maxRequests: 10_000_000, requests: [...requests] });
      figures.push({
        processes: count,
        workload,
        rate: r.rate,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        requests: r.requests,
        failures: r.failures,
        firstFailure: r.firstFailure,
        perProcess: proxy.counts.map((c, i) => c - before[i]),
        load: os.loadavg().map((l) => l.toFixed(1)).join(' / '),
      });
    }
    return figures;
  } finally {
    await proxy.close();
    await Promise.all(servers.map((s) => s.stop()));
    const client = await MongoClient.connect(uri);
    await client.db(database).dropDatabase().catch(() => undefined);
    await client.close();
  }
}

async function main(): Promise<number> {
  const uri = process.env.MONGODB_URI;
  if (!uri) {
    process.stderr.write('bench:scale-out needs MONGODB_URI (a MongoDB replica set, or FerretDB: see .ci/ferretdb.sh)\n');
    return 2;
  }
  const opts = options(process.argv.slice(2));
  const figures: Figure[] = [];
  for (const count of opts.processes) figures.push(...(await measure(uri, count, opts)));
  const base = (workload: string) => figures.find((f) => f.workload === workload)?.rate ?? 0;
  const lines = [
    `Scale-out through a round-robin proxy: ${opts.connections} connections, ${opts.durationS} s per workload, ${opts.patients} seeded patients (each with an Observation).`,
    `${formatMachine(describeMachine())} · MongoDB at ${new URL(uri).host}`,
    '',
    '| workload | processes | req/s | vs 1 process | p50 ms | p99 ms | requests | failures | share per process | load avg (1/5/15 min) after |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(
      (f) =>
        `| ${f.workload} | ${f.processes} | ${f.rate.toFixed(1)} | ${base(f.workload) ? `${(f.rate / base(f.workload)).toFixed(2)}×` : '—'} | ${f.p50Ms.toFixed(1)} | ${f.p99Ms.toFixed(1)} | ${f.requests} | ${f.failures}${f.firstFailure ? ` (${f.firstFailure})` : ''} | ${f.perProcess.join(' / ')} | ${f.load} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return figures.some((f) => f.failures > 0) ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
