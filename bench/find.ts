// `node dist/bench/find.js [schedules] [queries]`: Appointment/$find over a month for one
// practitioner among N schedules, each with a month of 30-minute Slots on working days (a quarter
// taken), over HTTP against an in-process server; also by service type across all schedules. Slots
// are written straight through the engine (the bench measures $find, not ingest). SQLite always;
// MongoDB too when MONGODB_URI is set. Figures depend on the machine's load; reported, never asserted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../src/config';
import { buildServer } from '../src/server';
import { createIndexer } from '../src/search/indexer';
import { createSearchRegistry } from '../src/search/registry';
import { forEachEngineName } from './each-engine';

const SCHEDULES = Number(process.argv[2] ?? 50);
const QUERIES = Number(process.argv[3] ?? 30);
const MONTH = Date.parse('2031-03-01T00:00:00Z');
const SNOMED = 'http://snomed.info/sct';
const TYPES = ['394579002', '394582007', '394537008'];

function* dataset(): Generator<Resource> {
  let n = 0;
  for (let s = 0; s < SCHEDULES; s++) {
    yield { resourceType: 'Schedule', id: `fs-${s}`, actor: [{ reference: `Practitioner/fd-${s}` }] } as Resource;
    for (let d = 0; d < 31; d++) {
      const day = MONTH + d * 86_400_000;
      if ([0, 6].includes(new Date(day).getUTCDay())) continue;
      for (let m = 9 * 60; m < 17 * 60; m += 30) {
        const start = day + m * 60_000;
        yield {
          resourceType: 'Slot',
          id: `fsl-${n++}`,
          schedule: { reference: `Schedule/fs-${s}` },
          serviceType: [{ coding: [{ system: SNOMED, code: TYPES[s % TYPES.length] }] }],
          status: n % 4 === 0 ? 'busy' : 'free',
          start: new Date(start).toISOString(),
          end: new Date(start + 1_800_000).toISOString(),
        } as Resource;
      }
    }
  }
}

async function run(engineName: 'sqlite' | 'mongodb'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-find-bench-'));
  const env: Record<string, string> = { NIMBUS_DATA_DIR: dir, NIMBUS_LOG_LEVEL: 'silent', NIMBUS_ENGINE: engineName, NIMBUS_REQUEST_TIMEOUT: '10m' };
  if (engineName === 'mongodb') Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI!, NIMBUS_MONGODB_DATABASE: `nimbus_find_bench_${process.pid}` });
  const server = await buildServer(loadConfig(env), { logger: pino({ level: 'silent' }) });
  const index = createIndexer(createSearchRegistry());
  const lastUpdated = new Date().toISOString();
  let batch: Resource[] = [];
  let slots = 0;
  const flush = async () => {
    const list = batch;
    batch = [];
    await server.engine.transaction(async (tx) => {
      for (const resource of list) {
        const stored = { ...resource, meta: { versionId: '1', lastUpdated } } as Resource;
        await tx.write({ resourceType: resource.resourceType, id: resource.id!, versionId: 1, lastUpdated, deleted: false, json: JSON.stringify(stored), index: index(stored) });
      }
    });
  };
  for (const r of dataset()) {
    if (r.resourceType === 'Slot') slots++;
    batch.push(r);
    if (batch.length >= 1000) await flush();
  }
  await flush();
  const listener = http.createServer(server.app).listen(0, '127.0.0.1');
  await new Promise((r) => listener.once('listening', r));
  const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/fhir`;
  const month = 'start=2031-03-01T00:00:00Z&end=2031-03-31T23:59:59Z';
  try {
    for (const [label, query] of [
      ['one practitioner', (q: number) => `${month}&practitioner=Practitioner/fd-${q % SCHEDULES}`],
      ['one service type', (q: number) => `${month}&service-type=${SNOMED}|${TYPES[q % TYPES.length]}`],
    ] as const) {
      const times: number[] = [];
      for (let q = 0; q < QUERIES; q++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/Appointment/$find?${query(q)}`);
        const body = (await res.json()) as { entry?: unknown[] };
        times.push(performance.now() - t0);
        if (res.status !== 200 || !body.entry?.length) throw new Error(`$find answered ${res.status} with ${body.entry?.length ?? 0} proposals`);
      }
      times.sort((a, b) => a - b);
      const at = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))].toFixed(1);
      process.stdout.write(`| ${engineName} | $find, a month, ${label}, ${slots} Slots in ${SCHEDULES} schedules | p50 ${at(0.5)} ms | p95 ${at(0.95)} ms |\n`);
    }
  } finally {
    listener.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void forEachEngineName(run);
