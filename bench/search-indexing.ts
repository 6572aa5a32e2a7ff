// Write-path indexing cost of search values: resource → IndexValues for typical resources.
// A figure for the README, not a pass/fail test. Run: npm run build && node dist/bench/search-indexing.js
import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { createSearchRegistry } from '../src/search/registry';
import { createIndexer } from '../src/search/indexer';

function example(name: string): Resource {
  const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  return JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Resource;
}

function measure(label: string, resource: Resource, index: (r: Resource) => unknown): void {
  for (let i = 0; i < 2000; i++) index(resource); // compile + JIT warm-up
  const n = 20000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const v = index(resource) as Record<string, unknown[]>;
    if (i === 0) rows = Object.values(v).reduce((s, a) => s + a.length, 0);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${label.padEnd(40)} ${wall.toFixed(1).padStart(7)} µs wall  ${((cpu.user + cpu.system) / n).toFixed(1).padStart(7)} µs CPU  ${rows} index records`);
}

const t0 = Date.now();
const registry = createSearchRegistry();
const indexer = createIndexer(registry, { baseUrl: 'http://localhost:8080/fhir' });
console.log(`registry: ${registry.size} SearchParameters loaded in ${Date.now() - t0} ms`);
for (const file of ['Observation-example.json', 'Observation-blood-pressure.json', 'Patient-example.json', 'Condition-example.json', 'Encounter-example.json', 'MedicationRequest-medrx0301.json']) {
  measure(file, example(file), indexer);
}
