// `nimbus-fhir export [--types A,B] [--since instant] <dir>`: writes the current resources as
// Bulk Data NDJSON, one `<Type>.ndjson` per type that has any, streaming from engine.scan with
// write back-pressure, so memory stays constant whatever the database size.
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ConfigError, loadConfig } from '../config';
import { r4Definitions } from '../fhir/definitions';
import { dateRange } from '../search/normalise';
import type { Engine } from '../storage/engine';
import { openEngine } from '../storage/open-engine';
import type { Command } from './commands';
import { Progress } from './progress';

const USAGE = 'usage: nimbus-fhir export [--types Patient,Observation] [--since 2024-01-01T00:00:00Z] <dir> [server options]';

export interface ExportArgs {
  dir: string;
  types?: string[];
  since?: string;
  rest: string[];
}

export function parseExportArgs(args: string[]): ExportArgs {
  let dir: string | undefined;
  let types: string[] | undefined;
  let since: string | undefined;
  const rest: string[] = [];
  const definitions = r4Definitions();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--types' || flag === '--since') {
      const value = inline ?? args[++i];
      if (value === undefined) throw new ConfigError(`${flag} needs a value\n${USAGE}`);
      if (flag === '--types') {
        types = value.split(',').map((t) => t.trim()).filter(Boolean);
        const unknown = types.filter((t) => !definitions.isResourceType(t));
        if (unknown.length) throw new ConfigError(`--types: not R4 resource types: ${unknown.join(', ')}`);
      } else {
        const p = dateRange(value);
        if (!p) throw new ConfigError(`--since must be a date or instant such as 2024-01-31T12:00:00Z, not '${value}'`);
        since = new Date(p[0]).toISOString();
      }
    } else if (a.startsWith('--')) {
      rest.push(a);
      if (!a.includes('=') && args[i + 1] !== undefined) rest.push(args[++i]);
    } else if (dir === undefined) dir = a;
    else throw new ConfigError(`unexpected argument '${a}'\n${USAGE}`);
  }
  if (!dir) throw new ConfigError(USAGE);
  return { dir, types, since, rest };
}

/** Writes one type's resources; returns how many (no file is left for a type without any). */
async function exportType(engine: Engine, type: string, file: string, since: string | undefined, onResource: () => void): Promise<number> {
  let out: fs.WriteStream | undefined;
  let n = 0;
  for await (const v of engine.scan({ resourceType: type, since })) {
    if (!v.json) continue;
    out ??= fs.createWriteStream(file);
    if (!out.write(`${v.json}\n`)) await once(out, 'drain');
    n++;
    onResource();
  }
  if (out) {
    out.end();
    await once(out, 'finish');
  }
  return n;
}

export async function exportResources(engine: Engine, options: { dir: string; types?: string[]; since?: string; onResource?: () => void }): Promise<Record<string, number>> {
  fs.mkdirSync(options.dir, { recursive: true });
  const counts: Record<string, number> = {};
  for (const type of options.types ?? r4Definitions().resourceTypes) {
    const n = await exportType(engine, type, path.join(options.dir, `${type}.ndjson`), options.since, options.onResource ?? (() => undefined));
    if (n) counts[type] = n;
  }
  return counts;
}

export const exportCommand: Command = {
  summary: 'write current resources as NDJSON files, one per type (--types, --since)',
  async run(args) {
    const { dir, types, since, rest } = parseExportArgs(args);
    const config = loadConfig(process.env, rest);
    const engine = await openEngine(config);
    const started = performance.now();
    const progress = new Progress(process.stderr, 'export');
    let done = 0;
    let counts: Record<string, number>;
    try {
      counts = await exportResources(engine, { dir, types, since, onResource: () => progress.update({ done: ++done }) });
    } finally {
      progress.finish({ done });
      await engine.close();
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `export finished in ${seconds.toFixed(1)} s: ${total} resources in ${Object.keys(counts).length} files under ${dir}\n` +
        Object.entries(counts)
          .map(([t, n]) => `  ${t}.ndjson ${n}\n`)
          .join(''),
    );
    return 0;
  },
};
