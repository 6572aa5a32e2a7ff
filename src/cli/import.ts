// `nimbus-fhir import <file|dir|->`: loads NDJSON (one resource or Bundle per line), JSON files
// holding a Bundle (transaction, batch, collection, searchset…) or a single resource, from a file,
// every such file under a directory, or stdin. NDJSON is streamed line by line, so memory stays
// constant whatever the input size. A bad line is reported with its line number and the rest goes on.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config';
import { buildServer } from '../server';
import { BulkLoader, type LoadTotals } from '../bundles/bulk-load';
import { bundleContext } from '../bundles/context';
import type { Command } from './commands';
import { Progress } from './progress';
import { FhirError } from '../fhir/errors';
import { parseFhirJson } from '../fhir/json';

const USAGE = 'usage: nimbus-fhir import <file|dir|-> [--chunk N] [server options]';
const NDJSON_EXT = /\.(ndjson|jsonl)$/i;
const JSON_EXT = /\.json$/i;
const MAX_REPORTED = 20;

interface ImportArgs {
  source: string;
  chunk?: number;
  rest: string[];
}

/** Own arguments first; everything else (`--flag value` pairs) goes to loadConfig. */
export function parseImportArgs(args: string[]): ImportArgs {
  let source: string | undefined;
  let chunk: number | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--chunk') {
      chunk = Number(args[++i]);
      if (!Number.isInteger(chunk) || chunk < 1 || chunk > 100000) throw new ConfigError(`--chunk must be a whole number from 1 to 100000\n${USAGE}`);
    } else if (a.startsWith('--')) {
      rest.push(a);
      if (!a.includes('=') && args[i + 1] !== undefined) rest.push(args[++i]);
    } else if (source === undefined) source = a;
    else throw new ConfigError(`unexpected argument '${a}'\n${USAGE}`);
  }
  if (!source) throw new ConfigError(USAGE);
  return { source, chunk, rest };
}

/** Input files in a stable order: a file as given, or every NDJSON/JSON file under a directory. */
export function inputFiles(source: string): string[] {
  const stat = fs.statSync(source);
  if (!stat.isDirectory()) return [source];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (NDJSON_EXT.test(name) || JSON_EXT.test(name)) out.push(full);
    }
  };
  walk(source);
  // Bulk exports name their files by type (`Appointment.ndjson`…), and an Appointment write claims
  // the Slots it references (workflow/scheduling.ts), so Schedules and Slots load first; a
  // QuestionnaireResponse is checked against the Questionnaire it names (workflow/
  // questionnaire-response.ts), so Questionnaires load before the generator's patient Bundles too
  // (its `shared.json` holds them and sorts after `patient-*.json`); otherwise the order stays
  // alphabetical.
  const rank = (file: string) => LOAD_FIRST.findIndex((type) => path.basename(file).startsWith(`${type}.`) || path.basename(file).startsWith(`${type}-`));
  const first = (file: string) => { const r = rank(file); return r < 0 ? LOAD_FIRST.length : r; };
  return out.map((file, i) => ({ file, i })).sort((a, b) => first(a.file) - first(b.file) || a.i - b.i).map((x) => x.file);
}

const LOAD_FIRST = ['Schedule', 'Slot', 'Questionnaire', 'shared'];

interface Tracker {
  bytes: number;
  totalBytes?: number;
  tick(): void;
}

async function loadLines(stream: NodeJS.ReadableStream, file: string, loader: BulkLoader, tracker: Tracker, sniff: boolean): Promise<void> {
  stream.on('data', (chunk: Buffer | string) => {
    tracker.bytes += chunk.length;
  });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  // stdin may hold one pretty-printed JSON document instead of NDJSON: decided by its first line.
  let documentLines: string[] | undefined;
  let decided = !sniff;
  for await (const line of lines) {
    lineNo++;
    if (documentLines) {
      documentLines.push(line);
      continue;
    }
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = parseFhirJson(line);
    } catch (e) {
      if (!decided && isSyntaxError(e)) {
        documentLines = [line];
        continue;
      }
      loader.totals.failed++;
      loader.failures.push({ file, line: lineNo, reason: parseFailure(e) });
      continue;
    }
    decided = true;
    await loader.add(value, { file, line: lineNo });
    tracker.tick();
  }
  if (documentLines) await loadDocument(documentLines.join('\n'), file, loader);
}

/** Only a syntax error can mean "a pretty-printed document starts here"; too deep or out of range cannot. */
function isSyntaxError(e: unknown): boolean {
  return !(e instanceof FhirError) || e.errorCode === 'INVALID_JSON';
}

function parseFailure(e: unknown): string {
  const text = e instanceof FhirError ? e.issues.map((i) => i.diagnostics).join('; ') : (e as Error).message;
  return e instanceof FhirError && e.errorCode !== 'INVALID_JSON' ? text.slice(0, 200) : `not valid JSON: ${text.replace(/^The body is not valid JSON: /, '').slice(0, 160)}`;
}

async function loadDocument(text: string, file: string, loader: BulkLoader): Promise<void> {
  let value: unknown;
  try {
    value = parseFhirJson(text);
  } catch (e) {
    loader.totals.failed++;
    loader.failures.push({ file, line: 1, reason: parseFailure(e) });
    return;
  }
  await loader.add(value, { file, line: 1 });
}

export function formatSummary(totals: LoadTotals, failures: { file: string; line: number; entry?: number; reason: string }[], seconds: number): string {
  const rate = seconds > 0 ? Math.round((totals.loaded + totals.skipped) / seconds) : 0;
  const lines = [`import finished in ${seconds.toFixed(1)} s: ${totals.loaded} loaded, ${totals.skipped} skipped (unchanged), ${totals.failed} failed — ${rate} resources/s`];
  for (const f of failures.slice(0, MAX_REPORTED)) {
    lines.push(`  failed ${f.file}:${f.line}${f.entry !== undefined ? ` entry ${f.entry}` : ''}: ${f.reason}`);
  }
  if (totals.failed > MAX_REPORTED) lines.push(`  … and ${totals.failed - MAX_REPORTED} more failures`);
  return `${lines.join('\n')}\n`;
}

export const importCommand: Command = {
  summary: 'load NDJSON, Bundles or resources from a file, directory or stdin (-)',
  async run(args) {
    const { source, chunk, rest } = parseImportArgs(args);
    const config = loadConfig(process.env, rest);
    // Logs go to stderr: stdout carries only the summary.
    const server = await buildServer(config, { logger: pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2)) });
    const started = performance.now();
    // The server's own context: conditional entries and references in imported Bundles resolve
    // as over HTTP, with an operator's full access.
    const loader = new BulkLoader(bundleContext(server.systemContext(), 'minimal'), { chunkSize: chunk });
    const progress = new Progress(process.stderr, 'import');
    const tracker: Tracker = { bytes: 0, tick: () => progress.update({ done: loader.totals.loaded + loader.totals.skipped, work: tracker.bytes, totalWork: tracker.totalBytes }) };
    try {
      if (source === '-') {
        await loadLines(process.stdin, 'stdin', loader, tracker, true);
      } else {
        const files = inputFiles(source);
        tracker.totalBytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
        for (const file of files) {
          if (JSON_EXT.test(file) && !NDJSON_EXT.test(file)) {
            const text = fs.readFileSync(file, 'utf8');
            tracker.bytes += Buffer.byteLength(text);
            await loadDocument(text, file, loader);
            tracker.tick();
          } else {
            await loadLines(fs.createReadStream(file), file, loader, tracker, false);
          }
        }
      }
      await loader.flush();
    } finally {
      progress.finish({ done: loader.totals.loaded + loader.totals.skipped, work: tracker.bytes, totalWork: tracker.totalBytes });
      await server.close();
    }
    process.stdout.write(formatSummary(loader.totals, loader.failures, (performance.now() - started) / 1000));
    return loader.totals.failed ? 1 : 0;
  },
};
