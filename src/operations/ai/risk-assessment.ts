// Patient/[id]/$risk-assessment (server-specific, fhir-profiles/operations/): one validated score
// of the patient as a RiskAssessment, optionally stored. The scores are ai/risk/; the record is read
// through the caller's door, so the access policy applies to what is scored.
import type { Patient, RiskAssessment } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { parseStoredJson } from '../../fhir/json';
import { create } from '../../interactions/crud';
import { RISK_MODELS } from '../../ai/risk/models';
import { readPatientRecord } from '../../ai/risk/patient-record';
import { riskAssessment } from '../../ai/risk/risk-assessment';
import { InsufficientData } from '../../ai/risk/score';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

export const riskAssessmentOperation: OperationModule = {
  definition: nimbusOperationDefinition('risk-assessment'),
  affectsState: false,
  changesStateWith: (params) => params.boolean('persist') === true,
  handler: run,
  example: {
    setup: [{ resourceType: 'Patient', id: 'risk-example', gender: 'female', birthDate: '1950-01-01' }],
    level: 'instance',
    resourceType: 'Patient',
    id: 'risk-example',
    parameters: { resourceType: 'Parameters', parameter: [{ name: 'model', valueCode: 'cha2ds2-vasc' }, { name: 'asOf', valueDate: '2025-01-01' }] },
  },
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;

async function run(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const code = call.params.string('model')!;
  const model = RISK_MODELS[code];
  if (!model) throw errors.invalidParam('model', `'${code.slice(0, 40)}' is not a model of this server; use one of ${Object.keys(RISK_MODELS).join(', ')}`);
  const asOfText = call.params.string('asOf');
  if (asOfText !== undefined && !DATE.test(asOfText)) throw errors.invalidParam('asOf', 'must be a full date (YYYY-MM-DD)');
  const now = ctx.clock.now();
  // The end of the assessed day: everything recorded on that day counts.
  const asOf = asOfText ? new Date(`${asOfText}T23:59:59.999Z`) : now;
  if (Number.isNaN(asOf.getTime())) throw errors.invalidParam('asOf', `'${asOfText}' is not a calendar date`);
  const patient = parseStoredJson(call.target.current!.json!) as Patient;
  const record = await readPatientRecord({ data: ctx.data, search: ctx.services.search, baseUrl: ctx.baseUrl }, patient, asOf, model.reads);
  let assessment: RiskAssessment;
  try {
    assessment = riskAssessment(model.score(record), patient.id!, (asOfText ? asOf : now).toISOString());
  } catch (e) {
    if (e instanceof InsufficientData) throw errors.insufficientData(`${e.message}: record that before asking for this score`);
    throw e;
  }
  if (call.params.boolean('persist')) {
    const stored = await create(ctx.data, ctx.services.core, 'RiskAssessment', assessment);
    return { out: { return: stored.resource as RiskAssessment }, status: 201, headers: { Location: `${ctx.baseUrl}/RiskAssessment/${stored.version!.id}/_history/${stored.version!.versionId}` } };
  }
  return { out: { return: assessment } };
}
