// `nimbus-fhir generate --patients N --seed S [--years Y] [--format bundles|ndjson] <out>`:
// deterministic synthetic hospital data (src/generate), streamed to disk.
import { parseArgs } from 'node:util';
import { ConfigError } from '../config';
import { generate } from '../generate';
import type { Command } from './commands';

function positiveInt(name: string, raw: string | undefined, fallback?: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new ConfigError(`generate needs --${name}`);
    return fallback;
  }
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new ConfigError(`--${name} must be a whole number ≥ 1, got '${raw}'`);
  return Number(raw);
}

export const generateCommand: Command = {
  summary: 'write synthetic patients: generate --patients N --seed S [--years Y] [--format bundles|ndjson] <out>',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { patients: { type: 'string' }, seed: { type: 'string' }, years: { type: 'string' }, format: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new ConfigError('generate needs exactly one output directory');
    const format = values.format ?? 'ndjson';
    if (format !== 'ndjson' && format !== 'bundles') throw new ConfigError(`--format must be ndjson or bundles, got '${format}'`);
    const patients = positiveInt('patients', values.patients);
    const seed = positiveInt('seed', values.seed, 1);
    const years = positiveInt('years', values.years, 10);
    const tty = process.stderr.isTTY;
    let last = 0;
    const summary = await generate({
      patients,
      seed,
      years,
      format,
      outDir: positionals[0],
      onProgress: (n) => {
        const now = Date.now();
        if (now - last < (tty ? 200 : 5000)) return;
        last = now;
        process.stderr.write(tty ? `\r${n.toLocaleString()} resources…` : `${n} resources\n`);
      },
    });
    if (tty) process.stderr.write('\r');
    const rate = Math.round(summary.resources / (summary.durationMs / 1000));
    process.stdout.write(
      `generated ${summary.resources} resources (${patients} patients, seed ${seed}, ${years} years) in ${summary.durationMs} ms — ${rate} resources/s → ${positionals[0]}\n`,
    );
    return 0;
  },
};
