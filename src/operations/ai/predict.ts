// Appointment/[id]/$predict (server-specific): the probability from a model that $train stored,
// as a RiskAssessment that names the model's Library (method and basis) and the features that
// moved this case's risk most. The features are computed exactly as in training (ai/trained/).
import type { Appointment, Library, Location, Patient, RiskAssessment } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors, FhirError } from '../../fhir/errors';
import { contributions, predictLogistic } from '../../ai/trained/logistic';
import { MODEL_SYSTEM, modelOf } from '../../ai/trained/model-library';
import { appointmentFacts, birthOf, NO_SHOW_FEATURES, noShowFeatures, patientFacts, type AppointmentFacts } from '../../ai/trained/no-show';
import { locationPosition } from '../../ai/trained/store-data';
import { parseSearchQuery } from '../../search/parse-query';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';
import { predictExampleSetup } from './predict-example';

export const CONTRIBUTION_EXTENSION = 'http://nimbus-fhir.org/fhir/StructureDefinition/feature-contribution';
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TOP = 3;

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
  throw new FhirError(404, 'UNKNOWN_MODEL', [{ severity: 'error', code: 'not-found', diagnostics: `Parameter 'model': no Library with id or name '${model.slice(0, 64)}'; train one with $train, or list the trained ones with GET Library?name=no-show-model`, expression: ['model'] }]);
}

function unprocessable(text: string): FhirError {
  return new FhirError(422, 'CANNOT_PREDICT', [{ severity: 'error', code: 'incomplete', diagnostics: text }]);
}

async function predict(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const modelName = call.params.string('model');
  if (!modelName) throw errors.invalidParam('model', 'is required: the id or name of a Library made by $train');
  const library = await findModel(ctx, modelName);
  const model = modelOf(library);
  if (!model) throw errors.invalidParam('model', `Library/${library.id} holds no model made by $train`);
  if (model.target !== 'no-show') throw errors.invalidParam('model', `Library/${library.id} predicts ${model.target}, not an Appointment's no-show`);
  if (model.features.map((f) => f.code).join() !== NO_SHOW_FEATURES.map((f) => f.code).join()) throw errors.invalidParam('model', `Library/${library.id} was trained on other features than this server computes; train a new model with $train`);
  const appointment = JSON.parse(call.target.current!.json!) as Appointment;
  const facts = appointmentFacts(appointment);
  if (!facts) throw unprocessable(`Appointment/${appointment.id} needs a start and a Patient participant for a no-show prediction`);
  const patientVersion = await ctx.data.read('Patient', facts.patientId);
  const patient = patientVersion?.json ? (JSON.parse(patientVersion.json) as Patient) : undefined;
  const missing = [facts.created === undefined && 'Appointment.created (to know the lead time)', !patient && `Patient/${facts.patientId} (not found)`, patient && birthOf(patient) === undefined && `Patient/${facts.patientId}.birthDate`].filter(Boolean);
  if (missing.length) throw unprocessable(`Cannot predict a no-show for Appointment/${appointment.id}: missing ${missing.join(', ')}`);
  const history = (await search(ctx, 'Appointment', [['patient', `Patient/${facts.patientId}`], ['_count', '1000']]))
    .map((v) => (v.json ? appointmentFacts(JSON.parse(v.json) as Appointment) : undefined))
    .filter((f): f is AppointmentFacts => !!f);
  const locationVersion = facts.locationId ? await ctx.data.read('Location', facts.locationId) : undefined;
  const position = locationVersion?.json ? locationPosition(JSON.parse(locationVersion.json) as Location) : undefined;
  const locations = new Map(position ? [[facts.locationId!, position]] : []);
  const row = noShowFeatures(facts, patientFacts(patient!), history, locations)!.features;
  const probability = predictLogistic(model.logistic, row);
  const parts = contributions(model.logistic, row)
    .map((c, j) => ({ code: model.features[j].code, description: model.features[j].description, value: row[j], contribution: c }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, TOP);
  const round = (x: number) => Number(x.toPrecision(4));
  const libraryRef = { reference: `Library/${library.id}`, display: `${library.name} ${library.version}` };
  const assessment: RiskAssessment = {
    resourceType: 'RiskAssessment',
    status: 'final',
    subject: { reference: `Patient/${facts.patientId}` },
    occurrenceDateTime: ctx.services.core.clock.now().toISOString(),
    method: { coding: [{ system: MODEL_SYSTEM, code: model.target, display: `${library.name} version ${library.version}` }], text: `Library/${library.id}` },
    basis: [libraryRef, { reference: `Appointment/${appointment.id}` }, { reference: `Patient/${facts.patientId}` }],
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
        outcome: { text: 'Patient does not attend the appointment (no-show)' },
        probabilityDecimal: round(probability),
        rationale: `Top contributions to the log-odds against the average training case: ${parts.map((p) => `${p.code} = ${round(p.value)} (${p.contribution >= 0 ? '+' : ''}${p.contribution.toFixed(2)})`).join('; ')}`,
      },
    ],
    note: [{ text: `Predicted by the model in Library/${library.id} (${library.description ?? ''})` }],
  };
  return { out: { return: assessment } };
}
