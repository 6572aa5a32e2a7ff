// The registered example of $predict: a hand-made model Library (two features' worth of made-up
// weights would not fit the no-show features, so the full list with small weights), a patient and
// an Appointment.
import type { Resource } from '@medplum/fhirtypes';
import { modelLibrary } from '../../ai/trained/model-library';
import { NO_SHOW_FEATURES } from '../../ai/trained/no-show';

export function predictExampleSetup(): Resource[] {
  const k = NO_SHOW_FEATURES.length;
  const library = modelLibrary({
    target: 'no-show',
    title: 'Example no-show model',
    features: NO_SHOW_FEATURES,
    baseline: "the patient's prior no-show rate",
    model: { intercept: -2, coefficients: new Array<number>(k).fill(0.1), means: new Array<number>(k).fill(0), sds: new Array<number>(k).fill(1), lambda: 1, iterations: 0 },
    metrics: { trainingCases: 0, trainingPositives: 0, heldOutCases: 0, heldOutPositives: 0, heldOutPatients: 0, auc: 0.5, aucLow: 0.5, aucHigh: 0.5, brier: 0, baselineAuc: 0.5, calibration: [] },
    period: { start: '2024-01-01T00:00:00.000Z', end: '2024-12-31T00:00:00.000Z' },
    trainedAt: new Date('2025-01-01T00:00:00.000Z'),
  });
  return [
    { ...library, id: 'predict-example-model', name: 'predict-example-model' },
    { resourceType: 'Patient', id: 'predict-example', birthDate: '1990-05-01' },
    {
      resourceType: 'Appointment',
      id: 'predict-example',
      status: 'booked',
      start: '2030-01-07T09:00:00Z',
      end: '2030-01-07T09:30:00Z',
      created: '2029-12-01T10:00:00Z',
      participant: [{ actor: { reference: 'Patient/predict-example' }, status: 'accepted' }],
    },
  ];
}
