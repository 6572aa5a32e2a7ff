// The targets $train knows: for each, what it predicts, its features, its baseline, and how its
// examples are read from the store. $predict finds the target of a stored model here too.
import type { DataAccess } from '../../access/data-access';
import type { Example } from './evaluate';
import { NO_SHOW_FEATURES, noShowExamples, type FeatureDefinition } from './no-show';
import { READMISSION_FEATURES, readmissionExamples } from './readmission';
import { readAppointmentData, readReadmissionData } from './store-data';
import { lookupTable } from '../../lookup-table';

export interface TrainingExample extends Example {
  /** When the case happened (appointment start, admission), for the training period. */
  start: number;
}

export interface TargetDefinition {
  code: string;
  title: string;
  /** RiskAssessment.prediction.outcome text. */
  outcome: string;
  /** The resource a prediction is made for. */
  subject: 'Appointment' | 'Patient';
  features: FeatureDefinition[];
  /** The simple score the model must beat, in words. */
  baseline: string;
  examples(data: DataAccess, onPage: () => Promise<void>, from: number, to: number): Promise<TrainingExample[]>;
}

export const TARGETS: Record<string, TargetDefinition> = lookupTable({
  'no-show': {
    code: 'no-show',
    title: 'Appointment no-show',
    outcome: 'Patient does not attend the appointment (no-show)',
    subject: 'Appointment',
    features: NO_SHOW_FEATURES,
    baseline: "the patient's prior no-show rate",
    async examples(data, onPage, from, to) {
      const d = await readAppointmentData(data, onPage);
      return noShowExamples(d.byPatient, d.patients, d.locations, from, to).map((e) => ({ patientId: e.patientId, start: e.start, features: e.features, label: e.label, baseline: e.priorNoShowRate }));
    },
  },
  readmission: {
    code: 'readmission',
    title: '30-day readmission',
    outcome: 'Unplanned readmission within 30 days of discharge',
    subject: 'Patient',
    features: READMISSION_FEATURES,
    baseline: 'the LACE index (van Walraven 2010)',
    async examples(data, onPage, from, to) {
      const d = await readReadmissionData(data, onPage);
      return readmissionExamples(d.encountersByPatient, d.conditionsByPatient, d.patients, from, to).map((e) => ({ patientId: e.patientId, start: e.start, features: e.features, label: e.label, baseline: e.lace }));
    },
  },
});

export const TARGET_CODES = Object.keys(TARGETS);
