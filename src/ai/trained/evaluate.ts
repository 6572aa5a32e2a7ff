// Training with an honest measure of quality: patients (not cases) are split into a training and a
// held-out part, so no patient's history helps to predict that same patient's held-out visits; the
// model is fitted on the training part and measured on the held-out part only, next to a simple
// baseline score it must beat.
import { auc, bootstrapAuc, brier, calibrationTable, seededRandom, type CalibrationBin } from './metrics';
import { fitLogistic, predictLogistic, type LogisticModel } from './logistic';

export interface Example {
  patientId: string;
  features: number[];
  label: number;
  /** The baseline's score for this case (higher = more likely positive). */
  baseline: number;
}

export interface Metrics {
  trainingCases: number;
  trainingPositives: number;
  heldOutCases: number;
  heldOutPositives: number;
  heldOutPatients: number;
  auc: number;
  aucLow: number;
  aucHigh: number;
  brier: number;
  baselineAuc: number;
  calibration: CalibrationBin[];
}

export interface TrainingOptions {
  /** Share of patients held out (0.1–0.5). */
  holdout: number;
  seed: number;
  lambda: number;
}

/** The least data a model is trained on: below this the metrics would mean nothing. */
export const MINIMUM = { trainingCases: 200, trainingPerClass: 20, heldOutCases: 100, heldOutPerClass: 10 };

export class TooLittleData extends Error {}

export function splitByPatient<T extends { patientId: string }>(examples: T[], holdout: number, seed: number): { training: T[]; heldOut: T[] } {
  const patients = [...new Set(examples.map((e) => e.patientId))].sort();
  const random = seededRandom(seed);
  const heldOutPatients = new Set(patients.filter(() => random() < holdout));
  return { training: examples.filter((e) => !heldOutPatients.has(e.patientId)), heldOut: examples.filter((e) => heldOutPatients.has(e.patientId)) };
}

export function trainAndEvaluate(examples: Example[], options: TrainingOptions): { model: LogisticModel; metrics: Metrics } {
  const { training, heldOut } = splitByPatient(examples, options.holdout, options.seed);
  const positives = (xs: Example[]) => xs.filter((e) => e.label === 1).length;
  const [tp, hp] = [positives(training), positives(heldOut)];
  const short: string[] = [];
  if (training.length < MINIMUM.trainingCases) short.push(`${training.length} training cases (need ${MINIMUM.trainingCases})`);
  if (Math.min(tp, training.length - tp) < MINIMUM.trainingPerClass) short.push(`${tp} positive and ${training.length - tp} negative training cases (need ${MINIMUM.trainingPerClass} of each)`);
  if (heldOut.length < MINIMUM.heldOutCases) short.push(`${heldOut.length} held-out cases (need ${MINIMUM.heldOutCases})`);
  if (Math.min(hp, heldOut.length - hp) < MINIMUM.heldOutPerClass) short.push(`${hp} positive and ${heldOut.length - hp} negative held-out cases (need ${MINIMUM.heldOutPerClass} of each)`);
  if (short.length) throw new TooLittleData(`too little data to train and measure a model: ${short.join('; ')}. Store more data, or widen the training period`);
  const model = fitLogistic(training.map((e) => e.features), training.map((e) => e.label), options.lambda);
  const labels = heldOut.map((e) => e.label);
  const p = heldOut.map((e) => predictLogistic(model, e.features));
  const interval = bootstrapAuc(p, labels, 1000, options.seed);
  return {
    model,
    metrics: {
      trainingCases: training.length,
      trainingPositives: tp,
      heldOutCases: heldOut.length,
      heldOutPositives: hp,
      heldOutPatients: new Set(heldOut.map((e) => e.patientId)).size,
      auc: auc(p, labels),
      aucLow: interval.low,
      aucHigh: interval.high,
      brier: brier(p, labels),
      baselineAuc: auc(heldOut.map((e) => e.baseline), labels),
      calibration: calibrationTable(p, labels),
    },
  };
}
