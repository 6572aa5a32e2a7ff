// Synthetic data for a bench size, generated once per (patients, seed) and reused by later runs:
// transaction Bundles for HTTP ingest and NDJSON for `nimbus-fhir import` (and for the PUT
// fallback when transactions are missing). Generation itself is not measured here.
import fs from 'node:fs';
import path from 'node:path';
import { generate, generatePatientRecords } from '../src/generate';

export interface Dataset {
  dir: string;
  bundlesDir: string;
  ndjsonDir: string;
  resources: number;
  byType: Record<string, number>;
}

const MARKER = 'summary.json';

export async function ensureDataset(workDir: string, patients: number, seed: number, log: (s: string) => void): Promise<Dataset> {
  const dir = path.join(workDir, `data-p${patients}-s${seed}`);
  const bundlesDir = path.join(dir, 'bundles');
  const ndjsonDir = path.join(dir, 'ndjson');
  const marker = path.join(dir, MARKER);
  if (fs.existsSync(marker)) {
    const s = JSON.parse(fs.readFileSync(marker, 'utf8')) as { resources: number; byType: Record<string, number> };
    return { dir, bundlesDir, ndjsonDir, ...s };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  log(`generating ${patients} patients (seed ${seed}) into ${dir}…`);
  // Same options → same resources in both formats (the generator is deterministic by seed).
  const nd = await generate({ patients, seed, format: 'ndjson', outDir: ndjsonDir });
  await generate({ patients, seed, format: 'bundles', outDir: bundlesDir });
  // The duplicates truth files are not resources: keep them out of the directories that get loaded.
  fs.renameSync(path.join(ndjsonDir, 'truth'), path.join(dir, 'truth-ndjson'));
  fs.renameSync(path.join(bundlesDir, 'truth'), path.join(dir, 'truth-bundles'));
  fs.writeFileSync(marker, JSON.stringify({ resources: nd.resources, byType: nd.byType }));
  log(`generated ${nd.resources} resources in ${nd.durationMs} ms`);
  return { dir, bundlesDir, ndjsonDir, resources: nd.resources, byType: nd.byType };
}

/** Resources every dataset has whatever its patient count: the care directory and free slots. */
export function sharedResourceCount(seed: number): number {
  const first = generatePatientRecords({ patients: 0, seed }).next();
  return first.done ? 0 : (first.value.shared?.length ?? 0);
}

/** Bundle files in load order: the shared directory first, then patients. */
export function bundleFiles(ds: Dataset): string[] {
  const names = fs.readdirSync(ds.bundlesDir).filter((f) => f.endsWith('.json'));
  names.sort((a, b) => (a === 'shared.json' ? -1 : b === 'shared.json' ? 1 : a.localeCompare(b)));
  return names.map((n) => path.join(ds.bundlesDir, n));
}
