// $predict (server-specific) with a model that $train stored, as a RiskAssessment that names the
// model's Library (method and basis) and the features that moved this case's risk most:
//   Appointment/[id]/$predict — a no-show model: will the patient miss this appointment;
//   Patient/[id]/$predict     — a readmission model: readmission within 30 days of the patient's
//                               most recent inpatient stay.
// The features are computed exactly as in training (ai/trained/).
import type { Appointment, Condition, Encounter, Library, Location, Patient, Period, Reference, RiskAssessment } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors, FhirError } from '../../fhir/errors';
import { contributions, predictLogistic } from '../../ai/trained/logistic';
import { MODEL_SYSTEM, modelOf, type TrainedModel } from '../../ai/trained/model-library';
import { appointmentFacts, birthOf, noShowFeatures, patientFacts, type AppointmentFacts } from '../../ai/trained/no-show';
import { conditionFacts, encounterFacts, readmissionFeatures, readmissionPatient, type ConditionFacts, type EncounterFacts } from '../../ai/trained/readmission';
import { locationPosition } from '../../ai/trained/store-data';
import { TARGETS } from '../../ai/trained/targets';
import { parseSearchQuery } from '../../search/parse-query';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { predictExampleSetup } from './predict-example';

export const CONTRIBUTION_EXTENSION = 'http://nimbus-fhir.org/fhir/StructureDefinition/feature-contribution';
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TOP = 3;
const DAY = 86_400_000;

export const predictOperation: OperationModule = {
  definition: nimbusOperationDefinition('predict'),
  affectsState: false,
  handler: predict,
  example: { setup: predictExampleSetup(), level: 'instance', resourceType: 'Appointment', id: 'predict-example', parameters: { resourceType: 'Parameters', parameter: [{ name: 'model', valueString: 'predict-example-model' }] } },
};

async function search(ctx: RequestContext, resourceType: string, query: Array<[string, string]>) {
  const s = ctx.services.search;
  const parsed = parseSearchQuery(s.registry, query, { resourceTypes: [resourceType], defaultCount: s.defaultCount, maxCount: 1000, now: Date.now(), baseUrl: ctx.baseUrl, terminology: s.terminology });
  const found = [];
  let plan = parsed.plan;
  for (;;) {
    const page = await ctx.data.search(plan);
    found.push(...page.matches);
    if (!page.nextCursor) return found;
    plan = { ...plan, cursor: page.nextCursor };
  }
}

async function resourcesOf<T>(ctx: RequestContext, resourceType: string, patientId: string): Promise<T[]> {
  return (await search(ctx, resourceType, [['patient', `Patient/${patientId}`], ['_count', '1000']])).flatMap((v) => (v.json ? [JSON.parse(v.json) as T] : []));
}

/** The Library named by id (`abc` or `Library/abc`), or the newest of that name. */
async function findModel(ctx: RequestContext, model: string): Promise<Library> {
  const id = model.startsWith('Library/') ? model.slice('Library/'.length) : model;
  if (ID.test(id)) {
    const v = await ctx.data.read('Library', id);
    if (v?.json) return JSON.parse(v.json) as Library;
  }
  const named = await search(ctx, 'Library', [['name:exact', model], ['_sort', '-date'], ['_count', '1']]);
  const newest = named[0]?.json;
  if (newest) return JSON.parse(newest) as Library;
  throw new FhirError(404, 'UNKNOWN_MODEL', [{ severity: 'error', code: 'not-found', diagnostics: `Parameter 'model': no Library with id or name '${model.slice(0, 64)}'; train one with $train, or list the trained ones with GET Library?name=no-show-model (or readmission-model)`, expression: ['model'] }]);
}

function unprocessable(text: string): FhirError {
  return new FhirError(422, 'CANNOT_PREDICT', [{ severity: 'error', code: 'incomplete', diagnostics: text }]);
}

/** A case to predict: the feature row, what it is about, and the basis besides the model. */
interface Case {
  patientId: string;
  row: number[];
  basis: Reference[];
  /** The period the prediction is about (the 30 days after discharge). */
  when?: Period;
}

async function appointmentCase(ctx: RequestContext, appointment: Appointment): Promise<Case> {
  const facts = appointmentFacts(appointment);
  if (!facts) throw unprocessable(`Appointment/${appointment.id} needs a start and a Patient participant for a no-show prediction`);
  const patientVersion = await ctx.data.read('Patient', facts.patientId);
  const patient = patientVersion?.json ? (JSON.parse(patientVersion.json) as Patient) : undefined;
  const missing = [facts.created === undefined && 'Appointment.created (to know the lead time)', !patient && `Patient/${facts.patientId} (not found)`, patient && birthOf(patient) === undefined && `Patient/${facts.patientId}.birthDate`].filter(Boolean);
  if (missing.length) throw unprocessable(`Cannot predict a no-show for Appointment/${appointment.id}: missing ${missing.join(', ')}`);
  const history = (await resourcesOf<Appointment>(ctx, 'Appointment', facts.patientId)).map(appointmentFacts).filter((f): f is AppointmentFacts => !!f);
  const locationVersion = facts.locationId ? await ctx.data.read('Location', facts.locationId) : undefined;
  const position = locationVersion?.json ? locationPosition(JSON.parse(locationVersion.json) as Location) : undefined;
  const locations = new Map(position ? [[facts.locationId!, position]] : []);
  const row = noShowFeatures(facts, patientFacts(patient!), history, locations)!.features;
  return { patientId: facts.patientId, row, basis: [{ reference: `Appointment/${appointment.id}` }, { reference: `Patient/${facts.patientId}` }] };
}

async function patientCase(ctx: RequestContext, patient: Patient): Promise<Case> {
  const facts = readmissionPatient(patient);
  if (facts.birth === undefined) throw unprocessable(`Cannot predict a readmission for Patient/${patient.id}: missing Patient.birthDate`);
  const now = ctx.services.core.clock.now().getTime();
  const encounters = (await resourcesOf<Encounter>(ctx, 'Encounter', patient.id!)).map(encounterFacts).filter((e): e is EncounterFacts => !!e);
  const stay = encounters
    .filter((e) => ['IMP', 'ACUTE', 'NONAC'].includes(e.classCode) && e.end >= e.start && e.end <= now && !e.diedInHospital)
    .sort((a, b) => b.end - a.end)[0];
  if (!stay) throw unprocessable(`Cannot predict a readmission for Patient/${patient.id}: no finished inpatient stay (Encounter of class IMP with period.start and period.end, not discharged dead)`);
  const conditions = (await resourcesOf<Condition>(ctx, 'Condition', patient.id!)).map(conditionFacts).filter((c): c is ConditionFacts => !!c);
  const row = readmissionFeatures(stay, facts, encounters, conditions)!.features;
  return {
    patientId: patient.id!,
    row,
    basis: [{ reference: `Encounter/${stay.id}` }, { reference: `Patient/${patient.id}` }],
    when: { start: new Date(stay.end).toISOString(), end: new Date(stay.end + 30 * DAY).toISOString() },
  };
}

function checkModel(library: Library, model: TrainedModel | undefined, subject: string): TrainedModel {
  if (!model) throw errors.invalidParam('model', `Library/${library.id} holds no model made by $train`);
  const target = TARGETS[model.target];
  if (!target) throw errors.invalidParam('model', `Library/${library.id} predicts ${model.target}, which this server no longer computes; train a new model with $train`);
  if (target.subject !== subject) throw errors.invalidParam('model', `Library/${library.id} predicts ${model.target} of a${target.subject === 'Appointment' ? 'n' : ''} ${target.subject}: call ${target.subject}/[id]/$predict`);
  if (model.features.map((f) => f.code).join() !== target.features.map((f) => f.code).join()) throw errors.invalidParam('model', `Library/${library.id} was trained on other features than this server computes; train a new model with $train`);
  return model;
}

async function predict(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const modelName = call.params.string('model');
  if (!modelName) throw errors.invalidParam('model', 'is required: the id or name of a Library made by $train');
  const library = await findModel(ctx, modelName);
  const subject = call.target.resourceType!;
  const model = checkModel(library, modelOf(library), subject);
  const resource = JSON.parse(call.target.current!.json!) as Appointment | Patient;
  const c = resource.resourceType === 'Appointment' ? await appointmentCase(ctx, resource) : await patientCase(ctx, resource as Patient);
  const probability = predictLogistic(model.logistic, c.row);
  const parts = contributions(model.logistic, c.row)
    .map((contribution, j) => ({ code: model.features[j].code, value: c.row[j], contribution }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, TOP);
  const round = (x: number) => Number(x.toPrecision(4));
  const assessment: RiskAssessment = {
    resourceType: 'RiskAssessment',
    status: 'final',
    subject: { reference: `Patient/${c.patientId}` },
    occurrenceDateTime: ctx.services.core.clock.now().toISOString(),
    method: { coding: [{ system: MODEL_SYSTEM, code: model.target, display: `${library.name} version ${library.version}` }], text: `Library/${library.id}` },
    basis: [{ reference: `Library/${library.id}`, display: `${library.name} ${library.version}` }, ...c.basis],
    prediction: [
      {
        extension: parts.map((p) => ({
          url: CONTRIBUTION_EXTENSION,
          extension: [
            { url: 'feature', valueCode: p.code },
            { url: 'value', valueDecimal: round(p.value) },
            { url: 'contribution', valueDecimal: round(p.contribution) },
          ],
        })),
        outcome: { text: TARGETS[model.target].outcome },
        probabilityDecimal: round(probability),
        ...(c.when ? { whenPeriod: c.when } : {}),
        rationale: `Top contributions to the log-odds against the average training case: ${parts.map((p) => `${p.code} = ${round(p.value)} (${p.contribution >= 0 ? '+' : ''}${p.contribution.toFixed(2)})`).join('; ')}`,
      },
    ],
    note: [{ text: `Predicted by the model in Library/${library.id} (${library.description ?? ''})` }],
  };
  return { out: { return: assessment } };
}
