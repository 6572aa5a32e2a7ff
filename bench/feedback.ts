// `node dist/bench/feedback.js [responses] [runs]`: Questionnaire/$aggregate over a year of
// patient-experience responses (each with its Encounter, Practitioner of 20 and Appointment with a
// HealthcareService of 5), over HTTP against an in-process server: overall, and stratified by
// month, Practitioner and HealthcareService. Data is written straight through the engine (the bench
// measures the aggregate, not ingest). SQLite always; MongoDB too when MONGODB_URI is set. Figures
// depend on the machine's load; reported, never asserted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { buildServer } from '../src/server';
import { createIndexer } from '../src/search/indexer';
import { createSearchRegistry } from '../src/search/registry';
import type { Resource } from '@medplum/fhirtypes';
import { forEachEngineName } from './each-engine';

const N = Number(process.argv[2] ?? 5000);
const RUNS = Number(process.argv[3] ?? 3);
const URL = 'http://nimbus-fhir.org/fhir/Questionnaire/patient-experience';
const SCALE = 'http://nimbus-fhir.org/fhir/CodeSystem/satisfaction-scale';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

function* dataset(): Generator<Resource> {
  const r = rng(3);
  const year = Date.parse('2025-01-01T00:00:00Z');
  for (let i = 0; i < N; i++) {
    const practitioner = `Practitioner/fb-doc-${Math.floor(r() * 20)}`;
    const service = `HealthcareService/fb-svc-${Math.floor(r() * 5)}`;
    const at = new Date(year + r() * 365 * 86_400_000).toISOString();
    yield { resourceType: 'Appointment', id: `fb-apt-${i}`, status: 'fulfilled', start: at, end: at, participant: [{ actor: { reference: service }, status: 'accepted' }, { actor: { reference: practitioner }, status: 'accepted' }] } as Resource;
    yield { resourceType: 'Encounter', id: `fb-enc-${i}`, status: 'finished', class: { code: 'AMB' }, participant: [{ individual: { reference: practitioner } }], appointment: [{ reference: `Appointment/fb-apt-${i}` }] } as Resource;
    const recommend = Math.floor(r() * 11);
    const item: unknown[] = [
      { linkId: 'overall', answer: [{ valueCoding: { system: SCALE, code: String(1 + Math.floor(r() * 5)) } }] },
      { linkId: 'staff', answer: [{ valueCoding: { system: SCALE, code: String(1 + Math.floor(r() * 5)) } }] },
      { linkId: 'wait-acceptable', answer: [{ valueBoolean: r() < 0.6 }] },
      { linkId: 'wait-minutes', answer: [{ valueInteger: Math.floor(r() * 60) }] },
      { linkId: 'recommend', answer: [{ valueInteger: recommend }] },
    ];
    if (recommend <= 6 && r() < 0.5) item.push({ linkId: 'improve', answer: [{ valueString: `better ${i}` }] });
    if (r() < 0.3) item.push({ linkId: 'comment', answer: [{ valueString: `comment ${i}` }] });
    yield { resourceType: 'QuestionnaireResponse', id: `fb-qr-${i}`, questionnaire: URL, status: 'completed', encounter: { reference: `Encounter/fb-enc-${i}` }, authored: at, item } as Resource;
  }
}

async function run(engineName: 'sqlite' | 'mongodb'): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-feedback-bench-'));
  const env: Record<string, string> = { NIMBUS_DATA_DIR: dir, NIMBUS_LOG_LEVEL: 'silent', NIMBUS_ENGINE: engineName, NIMBUS_REQUEST_TIMEOUT: '10m' };
  if (engineName === 'mongodb') Object.assign(env, { MONGODB_URI: process.env.MONGODB_URI!, NIMBUS_MONGODB_DATABASE: `nimbus_feedback_bench_${process.pid}` });
  const server = await buildServer(loadConfig(env), { logger: pino({ level: 'silent' }) });
  const engine = server.engine;
  const index = createIndexer(createSearchRegistry());
  const lastUpdated = new Date().toISOString();
  let batch: Resource[] = [];
  const flush = async () => {
    const list = batch;
    batch = [];
    await engine.transaction(async (tx) => {
      for (const resource of list) {
        const stored = { ...resource, meta: { versionId: '1', lastUpdated } } as Resource;
        await tx.write({ resourceType: resource.resourceType, id: resource.id!, versionId: 1, lastUpdated, deleted: false, json: JSON.stringify(stored), index: index(stored) });
      }
    });
  };
  for (const r of dataset()) {
    batch.push(r);
    if (batch.length >= 500) await flush();
  }
  await flush();
  const listener = http.createServer(server.app).listen(0, '127.0.0.1');
  await new Promise((r) => listener.once('listening', r));
  const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/fhir`;
  try {
    for (const strata of ['', 'month', 'practitioner', 'service']) {
      const times: number[] = [];
      let responses = 0;
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/Questionnaire/patient-experience/$aggregate?start=2025-01-01&end=2025-12-31${strata ? `&stratifyBy=${strata}` : ''}`);
        const body = (await res.json()) as { parameter?: Array<{ name: string; valueInteger?: number }> };
        times.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`$aggregate answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
        responses = body.parameter?.find((p) => p.name === 'responses')?.valueInteger ?? 0;
      }
      // Process CPU per call (server and client; the database too on SQLite): less at the mercy of a
      // shared machine's neighbours than the wall clock.
      const cpu = process.cpuUsage(cpu0);
      times.sort((a, b) => a - b);
      process.stdout.write(
        `| ${engineName} | $aggregate, a year of ${responses} responses${strata ? `, by ${strata}` : ''} | p50 ${times[Math.floor(times.length / 2)].toFixed(0)} ms | min ${times[0].toFixed(0)} ms | ${((cpu.user + cpu.system) / 1000 / RUNS).toFixed(0)} ms CPU |\n`,
      );
    }
  } finally {
    listener.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void forEachEngineName(run);
