// Appointment/$book throughput on distinct Slots, each booked once, driven by autocannon over
// keep-alive connections against a server in its own process. Part of `npm run bench` (rows
// book.32 and book.64, on the loaded store) and runnable alone on an empty store:
//   node dist/bench/booking.js [--slots 3000] [--connections 32] [--cpu-prof]
// (SQLite; MONGODB_URI set: also MongoDB). Prints bookings/s, p50/p99, and the server's own CPU
// per booking (from /proc, every thread included), then checks that exactly the booked Slots are
// busy. Figures depend on the machine's load; reported, never asserted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { forEachEngineName, type BenchEngineName } from './each-engine';
import { runLoad, type LoadResult, type Request } from './load';
import { cpuTicks, TICK_US } from './proc-cpu';
import type { Row } from './rows';
import { startServer } from './server-process';
import { origin, type WorkloadContext } from './workload';

const FHIR = { 'content-type': 'application/fhir+json' };
const PPRF = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }];
/** Slots per batch Bundle while loading (the load is not measured). */
const LOAD_BATCH = 500;

export interface BookingRun {
  load: LoadResult;
  booked: number;
  /** Server CPU (all threads) per booking, ms; undefined without the server's pid. */
  cpuMs?: number;
  /** 'consistent', or what the check after the run found. */
  check: string;
}

/**
 * Creates `slots` free Slots on a Schedule of their own (so a loaded store's data does not mix in),
 * books each once over `connections` connections, then counts busy Slots and booked Appointments
 * of that Schedule: both must equal the bookings answered 200 (plus those still in flight when a
 * run is stopped by its duration).
 */
export async function bookSlots(baseUrl: string, opts: { slots: number; connections: number; durationS: number; serverPid?: number }): Promise<BookingRun> {
  const schedule = `Schedule/bench-book-${process.pid}-${Date.now().toString(36)}`;
  const prefix = `bk${Date.now().toString(36)}c${opts.connections}-`;
  await loadSlots(baseUrl, schedule, prefix, opts.slots);
  let next = 0;
  const booking = (i: number) => {
    const appointment = { resourceType: 'Appointment', status: 'proposed', slot: [{ reference: `Slot/${prefix}${i}` }], participant: [{ status: 'accepted', type: PPRF }] };
    return JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'appointment', resource: appointment }] });
  };
  const { origin: url, basePath } = origin(baseUrl);
  // One distinct Slot per request across all connections; autocannon stops after `slots`.
  const requests: Request[] = [{ method: 'POST', path: `${basePath}/Appointment/$book`, headers: FHIR, setupRequest: (req) => ({ ...req, body: booking(next++) }) }];
  const ticks = opts.serverPid ? cpuTicks(opts.serverPid) : undefined;
  const load = await runLoad({ url, connections: opts.connections, durationS: opts.durationS, maxRequests: opts.slots, requests });
  const booked = load.requests - load.failures;
  const cpuMs = ticks === undefined ? undefined : ((cpuTicks(opts.serverPid!) - ticks) * TICK_US) / 1000 / Math.max(1, booked);
  const busy = await countOf(baseUrl, `Slot?schedule=${schedule}&status=busy`);
  const appointments = await countOf(baseUrl, `Appointment?status=booked&slot.schedule=${schedule}`);
  // A run stopped by its duration leaves up to one booking per connection in flight, answered after
  // the count: booked by the server, not counted here.
  const inFlight = load.requests < opts.slots ? opts.connections : 0;
  const ok = busy === appointments && busy >= booked && busy <= booked + inFlight;
  const check = ok ? 'consistent' : `INCONSISTENT: ${busy} busy Slots, ${appointments} booked Appointments for ${booked} bookings`;
  return { load, booked, cpuMs, check };
}

async function loadSlots(baseUrl: string, schedule: string, prefix: string, slots: number): Promise<void> {
  const start = Date.parse('2031-01-01T00:00:00Z');
  for (let from = 0; from < slots; from += LOAD_BATCH) {
    const entry = Array.from({ length: Math.min(LOAD_BATCH, slots - from) }, (_, k) => {
      const i = from + k;
      const slot = { resourceType: 'Slot', id: `${prefix}${i}`, schedule: { reference: schedule }, status: 'free', start: new Date(start + i * 1_800_000).toISOString(), end: new Date(start + (i + 1) * 1_800_000).toISOString() };
      return { resource: slot, request: { method: 'PUT', url: `Slot/${prefix}${i}` } };
    });
    const res = await fetch(baseUrl, { method: 'POST', headers: FHIR, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    if (res.status !== 200) throw new Error(`loading Slots answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
}

async function countOf(baseUrl: string, query: string): Promise<number> {
  const res = await fetch(`${baseUrl}/${query}&_summary=count`);
  return ((await res.json()) as { total: number }).total;
}

function describe(run: BookingRun): string {
  const failed = run.load.failures ? `, ${run.load.failures} failed (${run.load.firstFailure})` : '';
  const cpu = run.cpuMs === undefined ? '' : `; server CPU ${run.cpuMs.toFixed(2)} ms per booking (≤ ${(1000 / run.cpuMs).toFixed(0)}/s per core)`;
  return `${run.booked} booked${failed}${cpu}; ${run.check}`;
}

/** The `npm run bench` row `book.<connections>`. */
export async function bookingRow(ctx: WorkloadContext, connections: number): Promise<Row> {
  const run = await bookSlots(ctx.baseUrl, { slots: Math.min(ctx.maxRequests, 1000 * Math.ceil(connections / 8)), connections, durationS: ctx.durationS, serverPid: ctx.serverPid });
  const id = `book.${connections}`;
  const label = `Appointment/$book on distinct Slots (${connections} connections)`;
  if (!run.booked) return { id, label, note: `failed: ${run.load.firstFailure ?? 'no booking'}` };
  return { id, label, rate: run.load.rate, unit: 'bookings/s', p50Ms: run.load.p50Ms, p99Ms: run.load.p99Ms, note: describe(run) };
}

async function standalone(engine: BenchEngineName): Promise<void> {
  const { values } = parseArgs({ options: { slots: { type: 'string' }, connections: { type: 'string' }, 'cpu-prof': { type: 'boolean' } } });
  const slots = Number(values.slots ?? 3000);
  const connections = Number(values.connections ?? 32);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-book-bench-'));
  const env: Record<string, string> = { NIMBUS_DATA_DIR: dir, NIMBUS_ENGINE: engine };
  if (engine === 'mongodb') Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI!, NIMBUS_MONGODB_DATABASE: `nimbus_book_bench_${process.pid}` });
  const server = await startServer({ env, nodeArgs: values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(os.tmpdir(), 'nimbus-book-prof')}`] : [] });
  try {
    const run = await bookSlots(server.baseUrl, { slots, connections, durationS: 600, serverPid: server.child.pid });
    const { rate, p50Ms, p99Ms } = run.load;
    process.stdout.write(`| ${engine} | $book on ${slots} distinct Slots, ${connections} connections | ${rate.toFixed(0)} bookings/s | p50 ${p50Ms.toFixed(1)} ms, p99 ${p99Ms.toFixed(1)} ms | ${describe(run)} |\n`);
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void forEachEngineName(standalone);
