// `npm run soak -- --minutes 10 [--engine sqlite|mongodb]`: a long run against a real server
// process. Seeds a small store, measures the capacity of a mixed workload briefly (closed loop),
// then drives the same mix open-loop at a fraction of it (80 % by default) and prints, per minute,
// requests, errors, p50/p99 latency and the server's resident set size. Targets: 0 errors, and RSS
// flat after warm-up (< 10 % growth from the end of the first minute to the end). The mix: reads by
// id, searches, creates, updates and transaction Bundles (batch Bundles where the engine has no
// multi-document transactions, e.g. FerretDB). Progress goes to stderr, the report to stdout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startServer, type RunningServer } from './server-process';

const FHIR = 'application/fhir+json';
const MiB = 1024 * 1024;
const log = (s: string) => process.stderr.write(`[soak] ${s}\n`);

interface Options {
  minutes: number;
  engine: 'sqlite' | 'mongodb';
  load: number;
  capacitySeconds: number;
  patients: number;
  /** Most requests the driver keeps open at once; more due requests are counted as late. */
  maxOpen: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      engine: { type: 'string' },
      load: { type: 'string' },
      'capacity-seconds': { type: 'string' },
      patients: { type: 'string' },
      'max-open': { type: 'string' },
    },
  });
  const num = (name: string, raw: string | undefined, fallback: number) => {
    const n = raw === undefined ? fallback : Number(raw);
    if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got '${raw}'`);
    return n;
  };
  const engine = values.engine ?? 'sqlite';
  if (engine !== 'sqlite' && engine !== 'mongodb') throw new Error(`--engine must be sqlite or mongodb, got '${engine}'`);
  if (engine === 'mongodb' && !process.env.MONGODB_URI) throw new Error('--engine mongodb needs MONGODB_URI');
  const load = num('load', values.load, 0.8);
  if (load > 1) throw new Error('--load is a fraction of the measured capacity (e.g. 0.8)');
  return {
    minutes: num('minutes', values.minutes, 10),
    engine,
    load,
    capacitySeconds: num('capacity-seconds', values['capacity-seconds'], 10),
    patients: Math.round(num('patients', values.patients, 200)),
    maxOpen: Math.round(num('max-open', values['max-open'], 64)),
  };
}

// ---- the workload ------------------------------------------------------------------------------

interface Call {
  kind: string;
  method: string;
  path: string;
  body?: string;
}

/** What the mix works on: patients (with their current bodies, for updates) and codes. */
class World {
  readonly patients: { id: string; body: Record<string, unknown> }[] = [];
  readonly observations: string[] = [];
  private n = 0;
  constructor(readonly useTransactions: boolean) {}

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(Math.random() * list.length)];
  }

  /** 40 % reads by id, 25 % searches, 15 % creates, 10 % updates, 10 % transaction (or batch) Bundles. */
  next(): Call {
    const r = Math.random();
    const p = this.pick(this.patients);
    const n = this.n++;
    if (r < 0.3) return { kind: 'read', method: 'GET', path: `/Patient/${p.id}` };
    if (r < 0.4) return { kind: 'read', method: 'GET', path: `/Observation/${this.pick(this.observations)}` };
    if (r < 0.5) return { kind: 'search', method: 'GET', path: `/Observation?patient=Patient/${p.id}&code=http://loinc.org|8867-4&_count=20` };
    if (r < 0.58) return { kind: 'search', method: 'GET', path: `/Patient?family=Soak${n % 50}&_count=10` };
    if (r < 0.65) return { kind: 'search', method: 'GET', path: `/Observation?date=ge2025-01-01&_sort=-date&_count=10` };
    if (r < 0.8) return { kind: 'create', method: 'POST', path: '/Observation', body: JSON.stringify(observation(p.id, n)) };
    if (r < 0.9) {
      const body = { ...p.body, telecom: [{ system: 'phone', value: `+1-555-${String(n % 10000).padStart(4, '0')}` }] };
      return { kind: 'update', method: 'PUT', path: `/Patient/${p.id}`, body: JSON.stringify(body) };
    }
    return { kind: this.useTransactions ? 'transaction' : 'batch', method: 'POST', path: '', body: JSON.stringify(this.bundle(n)) };
  }

  /** A new patient with three observations, linked by urn:uuid (transaction), or five independent
   * observations of existing patients (batch: entries may not refer to each other). */
  bundle(n: number): object {
    if (!this.useTransactions) {
      return {
        resourceType: 'Bundle',
        type: 'batch',
        entry: Array.from({ length: 5 }, (_, i) => ({ request: { method: 'POST', url: 'Observation' }, resource: observation(this.pick(this.patients).id, n + i) })),
      };
    }
    const urn = `urn:uuid:${crypto.randomUUID()}`;
    return {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: urn, request: { method: 'POST', url: 'Patient' }, resource: patient(n) },
        ...Array.from({ length: 3 }, (_, i) => ({ request: { method: 'POST', url: 'Observation' }, resource: observation(urn, n + i) })),
      ],
    };
  }
}

function patient(n: number): Record<string, unknown> {
  return { resourceType: 'Patient', name: [{ family: `Soak${n % 50}`, given: [`P${n}`] }], gender: n % 2 ? 'female' : 'male', birthDate: `19${50 + (n % 50)}-0${1 + (n % 9)}-1${n % 10}` };
}

function observation(subject: string, n: number): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: n % 3 ? '8867-4' : '8480-6' }] },
    subject: { reference: subject.startsWith('urn:') ? subject : `Patient/${subject}` },
    effectiveDateTime: `2025-0${1 + (n % 9)}-1${n % 10}T10:00:00Z`,
    valueQuantity: { value: 60 + (n % 40), unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}

// ---- measuring ---------------------------------------------------------------------------------

interface Outcome {
  ms: number;
  ok: boolean;
  why?: string;
}

async function send(base: string, call: Call): Promise<Outcome> {
  const started = performance.now();
  try {
    const res = await fetch(base + call.path, {
      method: call.method,
      headers: { accept: FHIR, ...(call.body ? { 'content-type': FHIR, prefer: 'return=minimal' } : {}) },
      body: call.body,
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    const ok = res.status >= 200 && res.status < 300 && (call.kind !== 'transaction' && call.kind !== 'batch' ? true : entriesOk(text));
    return { ms: performance.now() - started, ok, why: ok ? undefined : `${call.kind} ${res.status} ${text.slice(0, 160)}` };
  } catch (e) {
    return { ms: performance.now() - started, ok: false, why: `${call.kind} ${(e as Error).message}` };
  }
}

/** A batch answers 200 even when entries fail: every entry must have succeeded. */
function entriesOk(text: string): boolean {
  try {
    const b = JSON.parse(text) as { entry?: { response?: { status?: string } }[] };
    return (b.entry ?? []).every((e) => /^2/.test(e.response?.status ?? ''));
  } catch {
    return false;
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

function rss(pid: number | undefined): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function seed(base: string, world: World, patients: number): Promise<void> {
  for (let i = 0; i < patients; i += 50) {
    const entry = Array.from({ length: Math.min(50, patients - i) }, (_, k) => ({ request: { method: 'POST', url: 'Patient' }, resource: patient(i + k) }));
    const res = await fetch(`${base}`, { method: 'POST', headers: { 'content-type': FHIR, accept: FHIR }, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    const bundle = (await res.json()) as { entry?: { response?: { location?: string } }[] };
    for (const [k, e] of (bundle.entry ?? []).entries()) {
      const id = /Patient\/([^/]+)/.exec(e.response?.location ?? '')?.[1];
      if (id) world.patients.push({ id, body: { ...entry[k].resource, id } });
    }
  }
  for (const p of world.patients.slice(0, 100)) {
    const res = await fetch(`${base}/Observation`, { method: 'POST', headers: { 'content-type': FHIR, accept: FHIR }, body: JSON.stringify(observation(p.id, world.observations.length)) });
    const id = ((await res.json()) as { id?: string }).id;
    if (id) world.observations.push(id);
  }
  if (!world.patients.length || !world.observations.length) throw new Error('seeding failed: no patients or observations were created');
}

/** Whether the server runs transaction Bundles (FerretDB has no multi-document transactions). */
async function transactionsWork(base: string, world: World): Promise<boolean> {
  const res = await fetch(base, { method: 'POST', headers: { 'content-type': FHIR, accept: FHIR }, body: JSON.stringify(world.bundle(0)) });
  await res.text();
  return res.status === 200;
}

/** Closed loop: `workers` clients back to back for `seconds`; completed requests per second. */
async function capacity(base: string, world: World, seconds: number, workers: number): Promise<{ rate: number; errors: number; firstError?: string }> {
  // Only the second half counts: the first fills the pipeline (and warms caches).
  const begin = performance.now();
  const counted = begin + (seconds * 1000) / 2;
  const end = begin + seconds * 1000;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const o = await send(base, world.next());
        if (!o.ok) {
          errors++;
          firstError ??= o.why;
        } else if (performance.now() >= counted && performance.now() < end) done++;
      }
    }),
  );
  return { rate: done / (seconds / 2), errors, firstError };
}

interface Minute {
  minute: number;
  requests: number;
  errors: number;
  late: number;
  p50: number;
  p99: number;
  rss?: number;
}

interface Bucket {
  latencies: number[];
  errors: number;
  late: number;
  rss?: number;
}

/** Open loop at `rate` per second for `minutes`. Requests count in the minute they were sent,
 * also when their answer comes later (the rows are made once every answer is in). */
async function drive(base: string, world: World, server: RunningServer, rate: number, o: Options): Promise<{ minutes: Minute[]; errorSamples: string[]; byKind: Map<string, number[]> }> {
  const buckets: Bucket[] = [];
  const byKind = new Map<string, number[]>();
  const errorSamples: string[] = [];
  const start = performance.now();
  let open = 0;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  for (let m = 1; m <= o.minutes; m++) {
    const bucket: Bucket = { latencies: [], errors: 0, late: 0 };
    buckets.push(bucket);
    const minuteEnd = start + m * 60_000;
    while (performance.now() < minuteEnd) {
      // Requests due by now at the target rate; each tick sends those not yet sent.
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (sent < due) {
        sent++;
        if (open >= o.maxOpen) {
          bucket.late++; // the server is not keeping up: counted, not queued without bound here either
          continue;
        }
        open++;
        const call = world.next();
        const p = send(base, call).then((r) => {
          open--;
          bucket.latencies.push(r.ms);
          const kind = byKind.get(call.kind) ?? [];
          if (kind.length < 200_000) kind.push(r.ms);
          byKind.set(call.kind, kind);
          if (!r.ok) {
            bucket.errors++;
            if (errorSamples.length < 5) errorSamples.push(r.why ?? 'error');
          }
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    bucket.rss = rss(server.child.pid);
    log(`minute ${m}: ${bucket.latencies.length} answered so far, ${bucket.errors} errors, ${bucket.late} late, RSS ${bucket.rss ? (bucket.rss / MiB).toFixed(0) : '?'} MiB`);
  }
  await Promise.all(inFlight);
  const minutes = buckets.map((b, i) => {
    const sorted = b.latencies.sort((x, y) => x - y);
    return { minute: i + 1, requests: sorted.length, errors: b.errors, late: b.late, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), rss: b.rss };
  });
  return { minutes, errorSamples, byKind };
}

// ---- the run -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const store = `soak${Date.now()}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-soak-'));
  const env: Record<string, string> =
    o.engine === 'sqlite' ? { NIMBUS_ENGINE: 'sqlite', NIMBUS_DATA_DIR: dataDir } : { NIMBUS_ENGINE: 'mongodb', MONGODB_URI: process.env.MONGODB_URI!, NIMBUS_MONGODB_DATABASE: store };
  log(`starting a ${o.engine} server…`);
  const server = await startServer({ env });
  const base = server.baseUrl;
  try {
    const world = new World(true);
    log(`seeding ${o.patients} patients…`);
    await seed(base, world, o.patients);
    const tx = await transactionsWork(base, world);
    const mix = new World(tx);
    mix.patients.push(...world.patients);
    mix.observations.push(...world.observations);
    log(`transaction Bundles: ${tx ? 'yes' : 'no (batch Bundles instead)'}`);
    log(`measuring capacity for ${o.capacitySeconds} s (16 clients, closed loop; the second half counts)…`);
    const cap = await capacity(base, mix, o.capacitySeconds, 16);
    if (cap.errors) log(`capacity run had ${cap.errors} errors (first: ${cap.firstError})`);
    const rate = cap.rate * o.load;
    log(`capacity ${cap.rate.toFixed(0)} req/s; driving ${rate.toFixed(0)} req/s for ${o.minutes} min…`);
    const run = await drive(base, mix, server, rate, o);
    report(o, tx, cap.rate, rate, run.minutes, run.errorSamples, run.byKind);
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (o.engine === 'mongodb') {
      const { MongoClient } = await import('mongodb');
      const client = await MongoClient.connect(process.env.MONGODB_URI!);
      await client.db(store).dropDatabase().catch(() => undefined);
      await client.close();
    }
  }
}

function report(o: Options, tx: boolean, capacityRate: number, rate: number, minutes: Minute[], errorSamples: string[], byKind: Map<string, number[]>): void {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const cpus = os.cpus();
  out(`# Soak: ${o.engine}, ${o.minutes} min at ${Math.round(o.load * 100)} % of capacity`);
  out();
  out(`Machine: ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end (a shared machine makes the figures noisy).`);
  out(`Mix: 40 % reads by id, 25 % searches, 15 % creates, 10 % updates, 10 % ${tx ? 'transaction' : 'batch (no transactions on this engine)'} Bundles.`);
  out(`Capacity (closed loop, 16 clients, second half of ${o.capacitySeconds} s): ${capacityRate.toFixed(1)} req/s; driven at ${rate.toFixed(1)} req/s.`);
  out();
  out('| minute | requests | errors | late | p50 ms | p99 ms | RSS MiB |');
  out('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const m of minutes) out(`| ${m.minute} | ${m.requests} | ${m.errors} | ${m.late} | ${m.p50.toFixed(1)} | ${m.p99.toFixed(1)} | ${m.rss ? (m.rss / MiB).toFixed(0) : '?'} |`);
  out();
  out(`Whole run by kind: ${[...byKind].map(([k, l]) => {
    const sorted = l.sort((a, b) => a - b);
    return `${k} p50 ${percentile(sorted, 0.5).toFixed(1)} / p99 ${percentile(sorted, 0.99).toFixed(1)} ms (${sorted.length})`;
  }).join('; ')}.`);
  const errors = minutes.reduce((n, m) => n + m.errors, 0);
  const late = minutes.reduce((n, m) => n + m.late, 0);
  const warm = minutes[0]?.rss;
  const last = minutes[minutes.length - 1]?.rss;
  const growth = warm && last ? ((last - warm) / warm) * 100 : NaN;
  out();
  out(`Errors: ${errors} (target 0)${errorSamples.length ? `; first: ${errorSamples.join(' | ')}` : ''}.`);
  out(`Late (not sent because ${o.maxOpen} requests were already open): ${late}.`);
  out(`RSS growth after warm-up (end of minute 1 → end): ${Number.isFinite(growth) ? `${growth.toFixed(1)} %` : 'n/a'} (target < 10 %).`);
  if (errors > 0 || growth >= 10) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
