// A trained model as a FHIR Library, so every prediction can name the exact model that made it:
// name (the target's model), version (the training instant), effectivePeriod (the training
// period), one `parameter` per input feature, the held-out metrics as extensions (and in full, with
// the calibration table, as a JSON attachment) and the fitted parameters as a JSON attachment.
import type { Extension, Library } from '@medplum/fhirtypes';
import type { Metrics } from './evaluate';
import type { LogisticModel } from './logistic';
import type { FeatureDefinition } from './no-show';

export const MODEL_SYSTEM = 'http://nimbus-fhir.org/fhir/CodeSystem/trained-model';
export const METRIC_EXTENSION = 'http://nimbus-fhir.org/fhir/StructureDefinition/model-metric';
const PARAMETERS_TYPE = 'application/vnd.nimbus.logistic-model+json';
const METRICS_TYPE = 'application/vnd.nimbus.model-metrics+json';

export interface TrainedModel {
  target: string;
  features: FeatureDefinition[];
  logistic: LogisticModel;
}

export interface TrainingRecord {
  target: string;
  title: string;
  features: FeatureDefinition[];
  /** The baseline score, in words. */
  baseline: string;
  model: LogisticModel;
  metrics: Metrics;
  period: { start: string; end: string };
  trainedAt: Date;
}

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

export function modelLibrary(r: TrainingRecord): Library {
  const m = r.metrics;
  const metric = (code: string, value: number): Extension => ({
    url: METRIC_EXTENSION,
    extension: [
      { url: 'code', valueCode: code },
      { url: 'value', valueDecimal: Number(value.toFixed(6)) },
    ],
  });
  const f3 = (x: number) => x.toFixed(3);
  return {
    resourceType: 'Library',
    extension: [
      metric('auc', m.auc),
      metric('auc-ci-low', m.aucLow),
      metric('auc-ci-high', m.aucHigh),
      metric('brier', m.brier),
      metric('baseline-auc', m.baselineAuc),
      metric('held-out-cases', m.heldOutCases),
      metric('training-cases', m.trainingCases),
    ],
    name: `${r.target}-model`,
    title: r.title,
    version: r.trainedAt.toISOString(),
    status: 'active',
    experimental: true,
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }] },
    subjectCodeableConcept: { coding: [{ system: MODEL_SYSTEM, code: r.target }] },
    date: r.trainedAt.toISOString(),
    description:
      `L2-regularised logistic regression (lambda ${r.model.lambda}) for ${r.target}, trained on ${m.trainingCases} cases; ` +
      `on ${m.heldOutCases} held-out cases of ${m.heldOutPatients} other patients: AUC ${f3(m.auc)} (95% bootstrap interval ${f3(m.aucLow)}–${f3(m.aucHigh)}), ` +
      `Brier score ${f3(m.brier)}; the baseline (${r.baseline}) has AUC ${f3(m.baselineAuc)}.`,
    effectivePeriod: r.period,
    parameter: [
      ...r.features.map((f) => ({ name: f.code, use: 'in' as const, min: 1, max: '1', type: 'decimal', documentation: f.description })),
      { name: 'probability', use: 'out' as const, min: 1, max: '1', type: 'decimal', documentation: `Probability of ${r.target}` },
    ],
    content: [
      { contentType: PARAMETERS_TYPE, title: 'Fitted parameters', data: base64({ target: r.target, features: r.features, logistic: r.model }) },
      { contentType: METRICS_TYPE, title: 'Held-out metrics and calibration table', data: base64(m) },
    ],
  };
}

/** The model stored in a Library made by `modelLibrary`; undefined if it holds none. */
export function modelOf(library: Library): TrainedModel | undefined {
  const data = library.content?.find((c) => c.contentType === PARAMETERS_TYPE)?.data;
  if (!data) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as TrainedModel;
    const ok = Array.isArray(parsed.features) && Array.isArray(parsed.logistic?.coefficients) && parsed.logistic.coefficients.length === parsed.features.length && parsed.logistic.coefficients.every(Number.isFinite) && Number.isFinite(parsed.logistic.intercept);
    return ok ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function metricsOf(library: Library): Metrics | undefined {
  const data = library.content?.find((c) => c.contentType === METRICS_TYPE)?.data;
  return data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Metrics) : undefined;
}
