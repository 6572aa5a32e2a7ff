// Search figures on the SQLite index at scale (not pass/fail): bulk-load N generated Observations
// (codes at ~0.2 % selectivity) and N/10 Patients, then time typical searches.
// Run: npm run build && node dist/bench/search-sqlite.js [observations=200000] [file]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Resource } from '@medplum/fhirtypes';
import { migrate } from '../src/storage/sqlite/migrations';
import { SqliteSearchIndex } from '../src/storage/sqlite/search/execute';
import { createSearchRegistry } from '../src/search/registry';
import { createIndexer } from '../src/search/indexer';
import { BundledTerminology } from '../src/search/terminology';
import { parseSearchQuery } from '../src/search/parse-query';

const N = Number(process.argv[2] ?? 200000);
const file = process.argv[3] ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-bench-')), 'bench.sqlite');
const CODES = 500; // each code ≈ 0.2 % of observations
const FAMILIES = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Robinson', 'Wright', 'Thompson', 'Evans', 'Walker', 'White', 'Roberts', 'Green', 'Hall', 'Wood', 'Jackson', 'Clarke'];

const registry = createSearchRegistry();
const indexer = createIndexer(registry);
const terminology = new BundledTerminology();
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL'); // bulk load only; the engine itself runs FULL
db.pragma('cache_size = -262144');
migrate(db);
const index = new SqliteSearchIndex(db);
const insert = db.prepare('INSERT INTO resources (type, id, version, last_updated, deleted, json) VALUES (?, ?, 1, ?, 0, ?)');

function load(resources: Resource[]): number {
  let indexMicros = 0;
  db.transaction(() => {
    for (const r of resources) {
      const t0 = process.hrtime.bigint();
      const values = indexer(r);
      indexMicros += Number(process.hrtime.bigint() - t0) / 1e3;
      const rid = Number(insert.run(r.resourceType, r.id, r.meta!.lastUpdated, JSON.stringify(r)).lastInsertRowid);
      index.replace(rid, values);
    }
  })();
  return indexMicros;
}

const patients = Math.max(1, Math.floor(N / 10));
const started = Date.now();
let indexMicros = 0;
const stamp = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 1000).toISOString();
for (let start = 0; start < patients; start += 10000) {
  const batch: Resource[] = [];
  for (let i = start; i < Math.min(patients, start + 10000); i++) {
    batch.push({ resourceType: 'Patient', id: `p${i}`, meta: { versionId: '1', lastUpdated: stamp(i) }, gender: i % 2 ? 'male' : 'female', birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`, name: [{ family: `${FAMILIES[i % 20]}${Math.floor(i / 20) % 100}`, given: ['Alex'] }] } as Resource);
  }
  indexMicros += load(batch);
}
for (let start = 0; start < N; start += 10000) {
  const batch: Resource[] = [];
  for (let i = start; i < Math.min(N, start + 10000); i++) {
    batch.push({
      resourceType: 'Observation', id: `o${i}`, meta: { versionId: '1', lastUpdated: stamp(i) }, status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: `C${(i * 7919) % CODES}`, display: `Test ${(i * 7919) % CODES}` }] },
      subject: { reference: `Patient/p${(i * 31) % patients}` },
      effectiveDateTime: stamp(i * 60),
      valueQuantity: { value: (i % 1000) / 10, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
    } as Resource);
  }
  indexMicros += load(batch);
}
db.exec('ANALYZE');
const loadSeconds = (Date.now() - started) / 1000;
console.log(`loaded ${N} Observations + ${patients} Patients in ${loadSeconds.toFixed(1)} s (indexing ${(indexMicros / (N + patients)).toFixed(1)} µs/resource CPU, db ${(fs.statSync(file).size / 1e6).toFixed(0)} MB)`);

function time(label: string, type: string, qs: string, runs = 30): number {
  const samples: number[] = [];
  let result;
  for (let i = 0; i < runs; i++) {
    const q = qs.replace('{i}', String(i));
    const t0 = process.hrtime.bigint();
    const plan = parseSearchQuery(registry, [...new URLSearchParams(q)], { resourceTypes: [type], defaultCount: 20, maxCount: 1000, now: Date.now(), terminology }).plan;
    result = index.search(plan);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const p50 = samples[Math.floor(samples.length / 2)];
  console.log(`${label.padEnd(58)} p50 ${p50.toFixed(2).padStart(8)} ms  p95 ${samples[Math.floor(samples.length * 0.95)].toFixed(2).padStart(8)} ms  (total ${result?.total}, page ${result?.matches.length})`);
  return p50;
}

time('Observation?code=X (0.2 %), first page, with total', 'Observation', 'code=http://loinc.org|C{i}');
time('Observation?code=X (0.2 %), first page, _total=none', 'Observation', 'code=http://loinc.org|C{i}&_total=none');
const countMs = time('Observation?status=final&_summary=count (all match)', 'Observation', 'status=final&_summary=count', 5);
console.log(`  → _summary=count: ${((N / countMs) * 1000 / 1e6).toFixed(2)} M matches/s`);
time('Observation?subject:Patient.name=x (chained), first page', 'Observation', `subject:Patient.name=${FAMILIES[3].toLowerCase()}{i}&_total=none`);
time('Observation?date=ge…&_sort=-date, first page', 'Observation', 'date=ge2020-02-01&_sort=-date&_total=none', 10);
time('Patient?_has:Observation:subject:code=X', 'Patient', '_has:Observation:subject:code=C{i}&_total=none', 10);
db.close();
