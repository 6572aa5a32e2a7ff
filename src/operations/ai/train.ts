// $train (server-specific, system level, asynchronous only): trains a model for a target on the
// stored data, measures it on patients it was not trained on, and stores it as a Library that
// $predict then names in every answer. Targets (ai/trained/targets.ts): `no-show` (Appointment) and
// `readmission` (30 days after an inpatient stay). Too little data fails the job with what is
// missing, rather than storing a meaningless model.
import type { RequestContext } from '../../context/request-context';
import { errors, FhirError } from '../../fhir/errors';
import { createIn } from '../../interactions/crud';
import { trainAndEvaluate, TooLittleData } from '../../ai/trained/evaluate';
import { modelLibrary } from '../../ai/trained/model-library';
import { TARGET_CODES, TARGETS } from '../../ai/trained/targets';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { trainExampleSetup } from './train-example';

export const trainOperation: OperationModule = {
  definition: nimbusOperationDefinition('train'),
  affectsState: true,
  async: 'required',
  check: async (call) => void options(call),
  handler: train,
  example: { setup: trainExampleSetup(), level: 'system', parameters: { resourceType: 'Parameters', parameter: [{ name: 'target', valueCode: 'no-show' }] } },
};

function options(call: Pick<OperationCall, 'params'>) {
  const p = call.params;
  const target = p.string('target');
  if (!target || !TARGET_CODES.includes(target)) throw errors.invalidParam('target', `'${String(target).slice(0, 64)}' is not a target this server trains; use one of: ${TARGET_CODES.join(', ')}`);
  const holdout = p.number('holdout') ?? 0.3;
  if (!(holdout >= 0.1 && holdout <= 0.5)) throw errors.invalidParam('holdout', 'must be between 0.1 and 0.5 (the share of patients held out)');
  const lambda = p.number('lambda') ?? 1;
  if (!(lambda > 0 && lambda <= 1000)) throw errors.invalidParam('lambda', 'must be above 0 and at most 1000');
  const seed = p.number('seed') ?? 1;
  const start = p.string('start');
  const end = p.string('end');
  const from = start ? Date.parse(start) : -Infinity;
  const to = end ? afterDate(end) : Infinity;
  if (from >= to) throw errors.invalidParam('end', 'must not be before start');
  return { target, holdout, lambda, seed, from, to };
}

/** The first instant after a date of any precision (2024, 2024-03, 2024-03-31). */
function afterDate(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  if (m === undefined) return Date.UTC(y + 1, 0, 1);
  if (d === undefined) return Date.UTC(y, m, 1);
  return Date.UTC(y, m - 1, d + 1);
}

async function train(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const o = options(call);
  const definition = TARGETS[o.target];
  let pages = 0;
  const examples = await definition.examples(ctx.data, () => call.job.progress(++pages, undefined, `reading the data of ${o.target}`), o.from, o.to);
  let trained;
  try {
    trained = trainAndEvaluate(examples, { holdout: o.holdout, seed: o.seed, lambda: o.lambda });
  } catch (e) {
    if (e instanceof TooLittleData) throw new FhirError(422, 'TOO_LITTLE_DATA', [{ severity: 'error', code: 'incomplete', diagnostics: `$train ${o.target}: ${e.message}` }]);
    throw e;
  }
  call.job.throwIfCancelled();
  const starts = examples.map((e) => e.start);
  const library = modelLibrary({
    target: o.target,
    title: definition.title,
    features: definition.features,
    baseline: definition.baseline,
    model: trained.model,
    metrics: trained.metrics,
    period: { start: new Date(starts.reduce((a, b) => Math.min(a, b))).toISOString(), end: new Date(starts.reduce((a, b) => Math.max(a, b))).toISOString() },
    trainedAt: ctx.services.core.clock.now(),
  });
  const core = ctx.services.core;
  const outcome = await ctx.data.transaction((tx) => createIn(tx, core, 'Library', library));
  return { out: { return: outcome.resource } };
}
