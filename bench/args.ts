// Flags of `npm run bench`. Sizes are counts of resources; the generator makes a fixed care
// directory (~1,800 resources) plus ~198 per patient over 10 years, so a size maps to a patient
// count (10k ≈ 41, 100k ≈ 496, 1m ≈ 5,041).
import { parseArgs } from 'node:util';

export type EngineName = 'sqlite' | 'mongodb';

export interface BenchOptions {
  /** Target number of resources and the patient count that produces about that many. */
  size: { label: string; resources: number; patients: number };
  engines: EngineName[];
  /** Seconds per measured workload (each is also capped by `maxRequests`). */
  durationS: number;
  /** Hard cap on requests per workload, so a run stays bounded even on a fast machine. */
  maxRequests: number;
  /** Only workloads whose id contains one of these strings (ids are shown in the table). */
  only: string[];
  seed: number;
  /** Where generated data and databases live; reused between runs of the same size and seed. */
  workDir?: string;
  /** Clients posting transaction Bundles during ingest. */
  ingestClients: number;
  /** When set, the measured server runs with --cpu-prof and writes its profile here. */
  cpuProfDir?: string;
}

export const RESOURCES_PER_PATIENT = 198;

export const USAGE = `usage: npm run bench -- [options]
  --size 10k|100k|1m|<n>     resources to load (default 10k)
  --engines sqlite,mongodb   engines to measure (default: sqlite, plus mongodb when MONGODB_URI is set)
  --duration <s>             seconds per workload (default 10)
  --max-requests <n>         cap on requests per workload (default 500000)
  --only <id>[,<id>…]        run only workloads whose id contains one of these
  --seed <n>                 generator seed (default 1)
  --work-dir <dir>           data and databases (default: $TMPDIR/nimbus-bench)
  --ingest-clients <n>       concurrent transaction posters (default 4)
  --cpu-prof <dir>           profile the measured server (node --cpu-prof) into <dir>`;

/** `shared`: resources every dataset holds besides patients' records (see dataset.ts). */
export function parseSize(raw: string, shared = 0): BenchOptions['size'] {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(raw.trim());
  if (!m) throw new Error(`--size must look like 10k, 100k, 1m or a number, got '${raw}'`);
  const factor = { '': 1, k: 1e3, m: 1e6 }[m[2].toLowerCase() as '' | 'k' | 'm'];
  const resources = Math.round(Number(m[1]) * factor);
  if (resources < 1) throw new Error(`--size must be at least 1, got '${raw}'`);
  return { label: raw.toLowerCase(), resources, patients: Math.max(1, Math.round((resources - shared) / RESOURCES_PER_PATIENT)) };
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`--${name} must be a positive number, got '${raw}'`);
  return n;
}

/** `sharedFor(seed)`: the fixed part of a dataset, to turn a size into a patient count. */
export function parseBenchArgs(argv: string[], sharedFor: (seed: number) => number = () => 0): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string' },
      engines: { type: 'string' },
      duration: { type: 'string' },
      'max-requests': { type: 'string' },
      only: { type: 'string' },
      seed: { type: 'string' },
      'work-dir': { type: 'string' },
      'ingest-clients': { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  // Both by default: without MONGODB_URI the MongoDB section still appears and says why it is skipped.
  const engines = (values.engines ?? 'sqlite,mongodb')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of engines) if (e !== 'sqlite' && e !== 'mongodb') throw new Error(`--engines takes sqlite and/or mongodb, got '${e}'`);
  const seed = Math.floor(positive('seed', values.seed, 1));
  return {
    size: parseSize(values.size ?? '10k', sharedFor(seed)),
    engines: engines as EngineName[],
    durationS: positive('duration', values.duration, 10),
    maxRequests: Math.floor(positive('max-requests', values['max-requests'], 500_000)),
    only: (values.only ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    seed,
    workDir: values['work-dir'],
    ingestClients: Math.floor(positive('ingest-clients', values['ingest-clients'], 4)),
    cpuProfDir: values['cpu-prof'],
  };
}
