// `node dist/bench/booking.js [slots] [concurrency]`: Appointment/$book throughput on distinct
// Slots over HTTP against an in-process server on the default SQLite engine (MONGODB_URI set:
// also MongoDB). Figures depend on the machine's load; reported, never asserted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { buildServer } from '../src/server';
import { forEachEngineName } from './each-engine';

const SLOTS = Number(process.argv[2] ?? 500);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const FHIR = { 'content-type': 'application/fhir+json' };
const PPRF = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'PPRF' }] }];

async function run(engine: 'sqlite' | 'mongodb'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-book-bench-'));
  const env: Record<string, string> = { NIMBUS_DATA_DIR: dir, NIMBUS_LOG_LEVEL: 'silent', NIMBUS_ENGINE: engine };
  if (engine === 'mongodb') Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI!, NIMBUS_MONGODB_DATABASE: `nimbus_book_bench_${process.pid}` });
  const config = loadConfig(env);
  const server = await buildServer(config, { logger: pino({ level: 'silent' }) });
  const listener = http.createServer(server.app).listen(0, '127.0.0.1');
  await new Promise((r) => listener.once('listening', r));
  const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/fhir`;
  try {
    const start = Date.parse('2031-01-01T00:00:00Z');
    const entry = Array.from({ length: SLOTS }, (_, i) => ({
      resource: { resourceType: 'Slot', id: `b${i}`, schedule: { reference: 'Schedule/s' }, status: 'free', start: new Date(start + i * 1_800_000).toISOString(), end: new Date(start + (i + 1) * 1_800_000).toISOString() },
      request: { method: 'PUT', url: `Slot/b${i}` },
    }));
    await fetch(base, { method: 'POST', headers: FHIR, body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }) });
    let next = 0;
    let ok = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SLOTS) {
          const i = next++;
          const appointment = { resourceType: 'Appointment', status: 'proposed', slot: [{ reference: `Slot/b${i}` }], participant: [{ status: 'accepted', type: PPRF }] };
          const res = await fetch(`${base}/Appointment/$book`, { method: 'POST', headers: FHIR, body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'appointment', resource: appointment }] }) });
          await res.arrayBuffer();
          if (res.status === 200) ok++;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    // CPU of the whole process (server, SQLite writer thread and this client) per booking: on a
    // shared machine the wall-clock rate says more about the neighbours than about the server.
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / Math.max(1, ok);
    process.stdout.write(
      `| ${engine} | $book on ${SLOTS} distinct Slots, ${CONCURRENCY} clients | ${(ok / seconds).toFixed(0)} bookings/s | ${ok} booked | ${cpuMs.toFixed(2)} ms CPU per booking (≤ ${(1000 / cpuMs).toFixed(0)}/s per core) |\n`,
    );
  } finally {
    listener.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void forEachEngineName(run);
