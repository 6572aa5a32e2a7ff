// Record matching quality and speed (Patient/$match, ai/matching/): generates N patients with the
// generator's near-duplicate truth, loads only the Patients into a fresh store per engine through
// the import path, estimates the model with EM, walks the store for every probable-or-better pair
// (as `nimbus-fhir match --report` does) and scores it against the truth, then times single $match
// calls over HTTP. Part of `npm run bench` (`--only matching`); alone:
//   node dist/bench/matching.js [--patients 10000] [--seed 1] [--engines sqlite,mongodb] [--queries 300]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Patient, Resource } from '@medplum/fhirtypes';
import { loadConfig } from '../src/config';
import { buildServer } from '../src/server';
import { BulkLoader } from '../src/bundles/bulk-load';
import { bundleContext } from '../src/bundles/context';
import { generatePatientRecords } from '../src/generate';
import { currentModel } from '../src/ai/matching/model-store';
import { findDuplicatePairs } from '../src/ai/matching/duplicates';
import { linkageQuality, type LinkageQuality } from '../src/ai/matching/quality';
import type { MatchModel } from '../src/ai/matching/model';

export interface MatchingBenchOptions {
  patients: number;
  seed: number;
  engines: Array<'sqlite' | 'mongodb'>;
  queries: number;
  log?: (s: string) => void;
}

export interface MatchingFigures {
  engine: string;
  patients: number;
  duplicates: number;
  quality: LinkageQuality;
  model: MatchModel;
  loadSeconds: number;
  estimateSeconds: number;
  reportSeconds: number;
  matchP50Ms: number;
  matchP95Ms: number;
  queries: number;
}

export interface PatientSet {
  patients: Patient[];
  truth: Array<[string, string]>;
}

/** The generator's Patients (people plus their near-duplicates) and the duplicate truth; the
 * rest of each generated record is dropped, not written. */
export function generatedPatients(count: number, seed: number): PatientSet {
  const patients: Patient[] = [];
  const truth: Array<[string, string]> = [];
  for (const item of generatePatientRecords({ patients: count, seed, years: 1 })) {
    if (!item.patient) continue;
    for (const r of item.patient.resources as Resource[]) if (r.resourceType === 'Patient') patients.push(r as Patient);
    const d = item.patient.duplicate;
    if (d) truth.push([d.a.replace('Patient/', ''), d.b.replace('Patient/', '')]);
  }
  return { patients, truth };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Loads, estimates, walks and times on one engine; `env` selects the engine like `serve` does. */
export async function measureMatching(set: PatientSet, env: Record<string, string>, queries: number, log: (s: string) => void): Promise<Omit<MatchingFigures, 'engine'>> {
  const config = loadConfig({ NIMBUS_LOG_LEVEL: 'silent', ...env });
  const server = await buildServer(config, { logger: pino({ level: 'silent' }) });
  try {
    let started = performance.now();
    const loader = new BulkLoader(bundleContext(server.systemContext(), 'minimal'), { chunkSize: 500 });
    for (const [i, p] of set.patients.entries()) await loader.add(p, { file: 'patients', line: i + 1 });
    await loader.flush();
    if (loader.totals.failed) throw new Error(`loading failed: ${loader.failures[0]?.reason}`);
    const loadSeconds = (performance.now() - started) / 1000;
    log(`loaded ${set.patients.length} patients in ${loadSeconds.toFixed(1)} s`);

    started = performance.now();
    const model = await currentModel(server.engine.system, server.engine, { now: () => new Date() });
    const estimateSeconds = (performance.now() - started) / 1000;
    log(`model (${model.source}, ${model.pairs ?? 0} candidate pairs) in ${estimateSeconds.toFixed(1)} s`);

    started = performance.now();
    const found: Array<[string, string]> = [];
    await findDuplicatePairs(server.engine, model, (pair) => void found.push([pair.a.id, pair.b.version.id]));
    const reportSeconds = (performance.now() - started) / 1000;
    const quality = linkageQuality(set.truth, found, set.patients.length);
    log(`walk in ${reportSeconds.toFixed(1)} s: ${found.length} pairs, F1 ${quality.f1.toFixed(4)}`);

    // Single $match calls over HTTP, the query being a stored patient without its id and meta
    // (a desk looking a person up), spread over the store.
    const http = createServer(server.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => http.once('listening', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}/fhir`;
    const times: number[] = [];
    try {
      const step = Math.max(1, Math.floor(set.patients.length / queries));
      for (let i = 0; i < set.patients.length && times.length < queries; i += step) {
        const { id: _id, meta: _meta, ...query } = set.patients[i];
        const body = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'resource', resource: query }] });
        const t0 = performance.now();
        const res = await fetch(`${base}/Patient/$match`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body });
        await res.arrayBuffer();
        times.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`$match answered ${res.status}`);
      }
    } finally {
      await new Promise((resolve) => http.close(resolve));
    }
    times.sort((a, b) => a - b);
    return {
      patients: set.patients.length,
      duplicates: set.truth.length,
      quality,
      model,
      loadSeconds,
      estimateSeconds,
      reportSeconds,
      matchP50Ms: percentile(times, 50),
      matchP95Ms: percentile(times, 95),
      queries: times.length,
    };
  } finally {
    await server.close();
  }
}

function engineEnv(engine: 'sqlite' | 'mongodb', workDir: string): Record<string, string> | string {
  if (engine === 'sqlite') {
    const dir = path.join(workDir, 'matching-sqlite');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    return { NIMBUS_ENGINE: 'sqlite', NIMBUS_DATA_DIR: dir };
  }
  const uri = process.env.MONGODB_URI;
  if (!uri) return 'MONGODB_URI is not set';
  return { NIMBUS_ENGINE: 'mongodb', MONGODB_URI: uri, NIMBUS_MONGODB_DATABASE: `nimbusmatch${Date.now()}` };
}

export async function matchingBench(options: MatchingBenchOptions): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-matching-'));
  log(`matching: generating ${options.patients} people (seed ${options.seed})…`);
  const set = generatedPatients(options.patients, options.seed);
  const out = [
    '',
    `## Record matching (Patient/$match): ${set.patients.length} Patients from ${options.patients} people, ${set.truth.length} true duplicate pairs (seed ${options.seed})`,
    '',
    `Load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min, ${os.cpus().length} CPUs)`,
    '',
    '| engine | precision | recall | F1 | TP | FP | FN | TN | $match p50 | $match p95 | EM pairs | load | estimate | walk |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  try {
    for (const engine of options.engines) {
      const env = engineEnv(engine, workDir);
      if (typeof env === 'string') {
        out.push(`| ${engine} | skipped: ${env} |`);
        continue;
      }
      log(`matching: ${engine}…`);
      const f = await measureMatching(set, env, options.queries, (s) => log(`matching ${engine}: ${s}`));
      const q = f.quality;
      out.push(
        `| ${engine} | ${q.precision.toFixed(4)} | ${q.recall.toFixed(4)} | ${q.f1.toFixed(4)} | ${q.truePositives} | ${q.falsePositives} | ${q.falseNegatives} | ${q.trueNegatives} | ${f.matchP50Ms.toFixed(1)} ms | ${f.matchP95Ms.toFixed(1)} ms | ${f.model.pairs ?? 0} (${f.model.source}) | ${f.loadSeconds.toFixed(1)} s | ${f.estimateSeconds.toFixed(1)} s | ${f.reportSeconds.toFixed(1)} s |`,
      );
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  out.push('', 'Quality counts probable-or-better pairs (posterior ≥ 0.95 or a shared identifier) over all unordered pairs; $match timed over HTTP on 127.0.0.1, one call at a time.');
  return out;
}

if (require.main === module) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { patients: { type: 'string' }, seed: { type: 'string' }, engines: { type: 'string' }, queries: { type: 'string' } } });
  const engines = (values.engines ?? 'sqlite,mongodb').split(',').map((e) => e.trim()) as Array<'sqlite' | 'mongodb'>;
  for (const e of engines) if (e !== 'sqlite' && e !== 'mongodb') throw new Error(`--engines takes sqlite and/or mongodb, got '${e}'`);
  matchingBench({
    patients: Number(values.patients ?? 10000),
    seed: Number(values.seed ?? 1),
    engines,
    queries: Number(values.queries ?? 300),
    log: (s) => process.stderr.write(`[bench] ${s}\n`),
  }).then(
    (lines) => process.stdout.write(`# Nimbus FHIR bench — record matching\n${lines.join('\n')}\n`),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
