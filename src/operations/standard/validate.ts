// $validate (R4 Resource-validate) at type and instance level: checks a resource as the server
// would check it on a write (the same validator), in the modes of the definition — none (just the
// content), create, update (instance level: the resource must be that instance) and delete
// (instance level: whether it may be deleted). Always 200 with an OperationOutcome listing every
// issue (the definition says so); 4xx only for a call that cannot be made.
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { errors, operationOutcome, type Issue } from '../../fhir/errors';
import type { RequestContext } from '../../context/request-context';
import { r4OperationDefinition } from '../r4-definitions';
import type { OperationCall, OperationModule } from '../types';

const MODES = new Set(['create', 'update', 'delete']);

export const validateOperation: OperationModule = {
  definition: r4OperationDefinition('Resource-validate'),
  affectsState: false,
  handler: validate,
  example: { level: 'type', resourceType: 'Patient', parameters: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: { resourceType: 'Patient', gender: 'female' } }] } },
};

async function validate(call: OperationCall, ctx: RequestContext) {
  const { target, params } = call;
  const mode = params.string('mode');
  if (mode !== undefined && !MODES.has(mode)) throw errors.invalidParam('mode', `'${mode}' is not one of create, update, delete`);
  if ((mode === 'update' || mode === 'delete') && target.level !== 'instance') {
    throw errors.invalidParam('mode', `${mode} can only be used at the instance level ([type]/[id]/$validate)`);
  }
  if (mode === 'delete') {
    // The target exists and is visible (checked by the invoker); nothing else stops a delete here.
    return outcome([{ severity: 'information', code: 'informational', diagnostics: `${target.resourceType}/${target.id} may be deleted` }]);
  }
  const resource = params.resource('resource');
  if (!resource) throw errors.invalidParam('resource', `is required${mode ? ` in mode ${mode}` : ''}: give the resource to validate`);
  if (resource.resourceType !== target.resourceType) {
    throw errors.invalidParam('resource', `is a ${resource.resourceType}, but $validate was invoked on ${target.resourceType}`);
  }
  // The write path's validator, plus the requested profiles; a profile the server does not know
  // is an error here (the caller asked for it explicitly), never silently passed.
  const profiles = [...params.all<string>('profile')];
  // In mode create/update the answer predicts the write's, so the profiles every write of the
  // type must conform to (NIMBUS_REQUIRED_PROFILES) apply as well.
  if (mode === 'create' || mode === 'update') profiles.push(...ctx.services.core.validator.requiredProfiles(resource.resourceType).filter((p) => !profiles.includes(p)));
  const issues: Issue[] = ctx.services.core.validator.validator.validate(resource, { type: resource.resourceType, profiles, unknownProfile: 'error' });
  if (target.level === 'instance' && resource.id !== target.id) {
    issues.push({ severity: 'error', code: 'invalid', diagnostics: `The resource's id must be '${target.id}' to update ${target.resourceType}/${target.id}`, expression: [`${resource.resourceType}.id`] });
  }
  return outcome(issues);
}

function outcome(issues: Issue[]) {
  const result: OperationOutcome = issues.length
    ? operationOutcome(issues)
    : operationOutcome([{ severity: 'information', code: 'informational', diagnostics: 'No issues: the resource is valid' }]);
  return { out: { return: result } };
}
