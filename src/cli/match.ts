// `nimbus-fhir match --report <out.csv> [--min-grade probable|certain|possible] [server options]`:
// every likely duplicate pair of Patients in the store, scored, for a data steward's clean-up.
// Re-estimates the linker's model from the store first (and stores it for the servers), then walks
// the patients page by page (ai/matching/duplicates.ts): memory holds one page, never the store.
import fs from 'node:fs';
import { once } from 'node:events';
import pino from 'pino';
import type { Patient } from '@medplum/fhirtypes';
import { ConfigError, loadConfig } from '../config';
import { buildServer } from '../server';
import { estimateModel } from '../ai/matching/estimate';
import { saveModel } from '../ai/matching/model-store';
import { findDuplicatePairs, type DuplicatePair } from '../ai/matching/duplicates';
import { FIELD_NAMES, FIELDS } from '../ai/matching/compare';
import { takeFlags, one } from './args';
import type { Command } from './commands';
import { Progress } from './progress';

const USAGE = 'usage: nimbus-fhir match --report <out.csv> [--min-grade probable|certain|possible] [server options]';
const GRADES = ['certain', 'probable', 'possible'] as const;

const HEADER = ['score', 'grade', 'weight', 'patient_a', 'patient_b', 'family_a', 'family_b', 'given_a', 'given_b', 'birth_date_a', 'birth_date_b', 'agreement'];

/** One CSV field: quoted when needed; a leading = + - @ is defused so spreadsheets show text. */
export function csvField(value: string | number | undefined): string {
  let text = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function nameOf(p: Patient): { family: string; given: string } {
  const n = p.name?.[0];
  return { family: n?.family ?? '', given: (n?.given ?? []).join(' ') };
}

export function reportRow(pair: DuplicatePair): string {
  const a = pair.a.patient;
  const b = pair.b.patient;
  const agreement = FIELD_NAMES.filter((f) => pair.b.comparison.vector[f] >= 0)
    .map((f) => `${f}=${FIELDS[f][pair.b.comparison.vector[f]]}`)
    .concat(pair.b.comparison.sameIdentifier ? ['identifier=identical'] : [])
    .join(';');
  return [
    pair.b.probability.toFixed(4),
    pair.b.grade,
    pair.b.weight.toFixed(2),
    `Patient/${pair.a.id}`,
    `Patient/${pair.b.version.id}`,
    nameOf(a).family,
    nameOf(b).family,
    nameOf(a).given,
    nameOf(b).given,
    a.birthDate,
    b.birthDate,
    agreement,
  ]
    .map(csvField)
    .join(',');
}

export const matchCommand: Command = {
  summary: 'write every likely duplicate Patient pair, scored, to a CSV: match --report <out.csv>',
  async run(args) {
    const flags = takeFlags(args, { values: ['report', 'min-grade'] });
    const out = one(flags, 'report');
    if (!out) throw new ConfigError(USAGE);
    const minGrade = (one(flags, 'min-grade') ?? 'probable') as (typeof GRADES)[number];
    if (!GRADES.includes(minGrade)) throw new ConfigError(`--min-grade must be one of ${GRADES.join(', ')}, not '${minGrade}'\n${USAGE}`);
    const config = loadConfig(process.env, flags.rest);
    const server = await buildServer(config, { logger: pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2)) });
    const progress = new Progress(process.stderr, 'match');
    let stream: fs.WriteStream | undefined;
    try {
      const started = performance.now();
      const model = await estimateModel(server.engine);
      await saveModel(server.engine.system, model, new Date());
      stream = fs.createWriteStream(out);
      stream.write(`${HEADER.join(',')}\n`);
      const sink = stream;
      const totals = await findDuplicatePairs(
        server.engine,
        model,
        async (pair) => {
          if (!sink.write(`${reportRow(pair)}\n`)) await once(sink, 'drain');
        },
        { minGrade, onPage: (done) => progress.update({ done }) },
      );
      progress.finish({ done: totals.patients });
      sink.end();
      await once(sink, 'finish');
      const how = model.source === 'em' ? `weights estimated by EM from ${model.pairs} candidate pairs` : 'default weights (too few candidate pairs to estimate from)';
      process.stdout.write(`match: ${totals.pairs} ${minGrade}-or-better pairs among ${totals.patients} patients → ${out} (${how}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      return 0;
    } finally {
      if (stream && !stream.writableEnded) stream.end();
      await server.close();
    }
  },
};
