/**
 * `nimbus-fhir generate`: deterministic synthetic hospital data, streamed to disk.
 *
 *   generate({ patients, seed, years = 10, format: 'ndjson' | 'bundles', outDir, now = 2026-01-01Z, onProgress })
 *
 * The same options give byte-identical output: every random draw comes from streams keyed by the
 * seed (one per patient), and the clock is the fixed `now`, never the wall clock.
 *
 * Output (see writer.ts for layout): first the shared care directory — Organizations, Locations
 * (with coordinates), Practitioners, PractitionerRoles, HealthcareServices, Schedules, the feedback
 * Questionnaire and free Slots in the 14 days after `now` — then each patient's record over the
 * last `years`: Patient (with the area deprivation decile of the home address), Encounters (with
 * admissions through the emergency department and planted 30-day readmissions, readmission.ts),
 * Appointments + Slots (with no-shows/cancellations following a documented model, scheduling.ts),
 * Conditions (SNOMED CT + ICD-10), Observations (LOINC/UCUM), MedicationRequests (RxNorm),
 * Procedures, ServiceRequests + Tasks, Immunizations (CVX), AllergyIntolerances and
 * QuestionnaireResponses. About 3.5 % of people also have a near-duplicate Patient, listed in
 * <out>/truth/duplicates.ndjson. Three LOINC codes are kept at exact shares of all Observations
 * (`SELECTIVITY_CODES`, see observations.ts) for benchmarks. Measured size: ~200 resources per
 * patient for 10 years (~120 for 5, ~305 for 20); 1,000 patients × 10 years ≈ 198k resources.
 *
 * `generatePatientRecords` is the same pipeline without disk (tests, benchmarks): it yields the
 * shared resources once, then one record per patient.
 */
import type { Resource } from '@medplum/fhirtypes';
import { mkdir } from 'node:fs/promises';
import { feedbackQuestionnaire } from './feedback';
import { SelectivityLedger } from './observations';
import { buildDirectory } from './organizations';
import { buildPatientRecord, type DuplicateTruth } from './record';
import { freeSlots } from './scheduling';
import { BundleSink, NdjsonSink, type RecordSink } from './writer';

export { SELECTIVITY_CODES } from './observations';
export { FEEDBACK_QUESTIONNAIRE_URL } from './feedback';
export type { DuplicateTruth } from './record';

export const DEFAULT_NOW = new Date('2026-01-01T00:00:00Z');
export const DEFAULT_YEARS = 10;

export interface GenerateOptions {
  patients: number;
  seed: number;
  /** Length of the record window before `now`; default 10. */
  years?: number;
  format: 'bundles' | 'ndjson';
  outDir: string;
  /** Fixed clock for determinism; default 2026-01-01T00:00:00Z. */
  now?: Date;
  /** Called after each patient with the number of resources written so far. */
  onProgress?: (resources: number) => void;
}

export interface GenerateSummary {
  resources: number;
  byType: Record<string, number>;
  files: string[];
  durationMs: number;
}

export interface RecordOptions {
  patients: number;
  seed: number;
  years?: number;
  now?: Date;
}

export type GeneratedItem =
  | { shared: Resource[]; patient?: undefined }
  | { shared?: undefined; patient: { index: number; resources: Resource[]; duplicate?: DuplicateTruth } };

export function* generatePatientRecords(opts: RecordOptions): Generator<GeneratedItem> {
  validate(opts);
  const now = (opts.now ?? DEFAULT_NOW).getTime();
  const years = opts.years ?? DEFAULT_YEARS;
  const directory = buildDirectory(opts.seed);
  const d = directory.resources;
  yield {
    shared: [
      ...d.organizations, ...d.locations, ...d.practitioners, ...d.roles, ...d.services, ...d.schedules,
      feedbackQuestionnaire(now), ...freeSlots(directory, opts.seed, now),
    ],
  };
  const ledger = new SelectivityLedger();
  for (let index = 1; index <= opts.patients; index++) {
    const record = buildPatientRecord(index, { seed: opts.seed, now, years, directory, ledger });
    yield { patient: { index, resources: record.resources, duplicate: record.duplicate } };
  }
}

export async function generate(opts: GenerateOptions): Promise<GenerateSummary> {
  const started = performance.now();
  if (opts.format !== 'ndjson' && opts.format !== 'bundles') throw new Error(`format must be 'ndjson' or 'bundles', not '${String(opts.format)}'`);
  await mkdir(opts.outDir, { recursive: true });
  const sink: RecordSink = opts.format === 'ndjson' ? await NdjsonSink.open(opts.outDir) : await BundleSink.open(opts.outDir, opts.seed);
  const byType: Record<string, number> = {};
  let resources = 0;
  const count = (list: readonly Resource[]) => {
    for (const r of list) byType[r.resourceType] = (byType[r.resourceType] ?? 0) + 1;
    resources += list.length;
  };
  for (const item of generatePatientRecords(opts)) {
    if (item.shared) {
      count(item.shared);
      await sink.writeShared(item.shared);
    } else {
      // Count before writing: the bundle writer rewrites resources in place.
      count(item.patient.resources);
      await sink.writePatient(item.patient.index, { resources: item.patient.resources, duplicate: item.patient.duplicate });
      opts.onProgress?.(resources);
    }
  }
  const files = await sink.close();
  const sortedByType: Record<string, number> = {};
  for (const type of Object.keys(byType).sort()) sortedByType[type] = byType[type];
  return { resources, byType: sortedByType, files, durationMs: Math.round(performance.now() - started) };
}

function validate(opts: RecordOptions): void {
  if (!Number.isInteger(opts.patients) || opts.patients < 0) throw new Error(`patients must be a non-negative integer, not ${opts.patients}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, not ${opts.seed}`);
  const years = opts.years ?? DEFAULT_YEARS;
  if (!(years > 0 && years <= 100)) throw new Error(`years must be in (0, 100], not ${years}`);
  if (opts.now && Number.isNaN(opts.now.getTime())) throw new Error('now must be a valid date');
}
