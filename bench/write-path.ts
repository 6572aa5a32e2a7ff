// CPU cost of what a create adds on top of validation and indexing since decimals are kept exactly
// and references checked: the safe parse (depth scan, exact numbers) against JSON.parse, the
// serialiser against JSON.stringify, and the reference rules; for bodies without and with numbers
// a double would not print as written. A figure for the README, not a pass/fail test.
// Run: npm run build && node dist/bench/write-path.js
import fs from 'node:fs';
import path from 'node:path';
import { parseFhirJson, serialiseResource } from '../src/fhir/json';
import { assertReferences } from '../src/fhir/references';
import { r4Definitions } from '../src/fhir/definitions';

function example(name: string): string {
  const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  return JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
}

/** The bench's create body (bench/crud.ts), plain and with exact decimals. */
const observation = (v1: string, v2: string, v3: string) =>
  `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],` +
  `"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},` +
  `"effectiveDateTime":"2025-06-01T10:00:00Z","valueQuantity":{"value":${v1},"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"},` +
  `"component":[{"code":{"text":"a"},"valueQuantity":{"value":${v2}}},{"code":{"text":"b"},"valueQuantity":{"value":${v3}}}]}`;

/** Median CPU µs per call over 15 rounds: CPU time, not wall time, so that other processes
 * sharing the machine inflate the figure as little as possible. */
function perCall(fn: () => unknown): number {
  for (let i = 0; i < 3000; i++) fn();
  const rounds: number[] = [];
  for (let r = 0; r < 15; r++) {
    const n = 2000;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const cpu = process.cpuUsage(cpu0);
    rounds.push((cpu.user + cpu.system) / n);
  }
  return rounds.sort((a, b) => a - b)[7];
}

const definitions = r4Definitions();
const bodies: [string, string][] = [
  ['bench Observation, plain numbers', observation('72', '0.5', '12.25')],
  ['bench Observation, exact decimals', observation('72.50', '0.010', '1.0000000000000000000000001')],
  ['Patient-example', example('Patient-example.json')],
  ['ExplanationOfBenefit-EB3500', example('ExplanationOfBenefit-EB3500.json')],
];
const f = (n: number) => n.toFixed(2).padStart(7);
console.log(`${'body'.padEnd(36)} ${'bytes'.padStart(6)}  JSON.parse  parseFhirJson  JSON.stringify  serialiseResource  references   (CPU µs per call, median)`);
for (const [label, text] of bodies) {
  const plain = JSON.parse(text) as object;
  const exact = parseFhirJson(text) as object;
  const json = serialiseResource(exact);
  console.log(
    `${label.padEnd(36)} ${String(text.length).padStart(6)}  ${f(perCall(() => JSON.parse(text)))}     ${f(perCall(() => parseFhirJson(text)))}        ${f(perCall(() => JSON.stringify(plain)))}         ${f(perCall(() => serialiseResource(exact)))}      ${f(perCall(() => assertReferences(definitions, exact, json)))}`,
  );
}
