// SMART scopes + the caller's role → the AccessPolicy the one door applies (access/policy.ts).
// Pure: per resource type and action, "refused" or "allowed where these SearchPlan predicates
// hold", built from
// - the scopes granting the action on the type (v1 read/write, v2 cruds), each contributing
//   · patient/ scopes: the Patient compartment of the patient in context (R4 CompartmentDefinition),
//   · user/ scopes: what the user may see — a patient user only their own compartment,
//   · system/ scopes: no compartment,
//   · a v2 granular query (`?category=laboratory`): its search predicates, parsed like any search;
//   several scopes for one type are ORed;
// - rules of the house: AuditEvents are written by the server only and read by administrators.
import type { Caller } from '../access/caller';
import { isWrite, type AccessAction, type AccessPolicy, type TypeAccess } from '../access/policy';
import type { Compartments } from '../search/compartments';
import { parseSearchQuery } from '../search/parse-query';
import type { Predicate } from '../search/plan';
import type { SearchRegistry } from '../search/registry';
import type { Terminology } from '../search/terminology';
import { grants, parseScopes, type ClinicalScope } from './clinical-scopes';

export interface PolicyDeps {
  compartments: Compartments;
  registry: SearchRegistry;
  terminology: Terminology;
  now: () => number;
}

/**
 * Types outside the Patient compartment that carry no patient's data: directory, medication and
 * conformance/knowledge resources. A patient-restricted caller may read them (an app shows the
 * practitioner's name, the medication's code…). Every other type outside the compartment (Bundle,
 * Binary, Task, Device, Contract, MessageHeader…) may hold someone's data that no compartment
 * parameter ties to a patient, so a patient-restricted caller is refused it.
 */
export const SHARED_TYPES: ReadonlySet<string> = new Set([
  'Practitioner', 'PractitionerRole', 'Organization', 'OrganizationAffiliation', 'Location', 'HealthcareService', 'Endpoint',
  'Medication', 'MedicationKnowledge', 'Substance', 'Slot',
  'CapabilityStatement', 'CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem', 'StructureDefinition', 'StructureMap',
  'SearchParameter', 'OperationDefinition', 'CompartmentDefinition', 'ImplementationGuide', 'Questionnaire', 'Library',
  'Measure', 'PlanDefinition', 'ActivityDefinition', 'ObservationDefinition', 'SpecimenDefinition', 'DeviceDefinition',
]);

const AUDIT = 'AuditEvent';

/** A caller without a token in a mode that needs one (public paths only): no data at all. */
export const NO_ACCESS: AccessPolicy = {
  unrestricted: false,
  access: () => ({ allowed: false, reason: 'an access token is needed' }),
};

export function smartPolicy(caller: Caller, deps: PolicyDeps): AccessPolicy {
  const scopes = parseScopes(caller.scopes ?? []);
  const patientUser = patientOf(caller.fhirUser);
  const administrator = isAdministrator(scopes);
  const memo = new Map<string, TypeAccess>();
  const granted = scopes.map((s) => s.text).join(' ') || 'none';

  const decide = (type: string, action: AccessAction): TypeAccess => {
    if (type === AUDIT) {
      if (isWrite(action)) return refuse('AuditEvents are recorded by the server and cannot be written or deleted by clients');
      if (!administrator) return refuse('the audit trail is readable by administrators only (system/*.* or system/*.cruds)');
    }
    const alternatives: Predicate[][] = [];
    const reasons: string[] = [];
    for (const scope of scopes) {
      if ((scope.resourceType !== '*' && scope.resourceType !== type) || !grants(scope, action)) continue;
      const where = conditionsOf(scope, type, action, caller, patientUser, deps, reasons);
      if (!where) continue;
      if (!where.length) return { allowed: true, where: [] };
      alternatives.push(where);
    }
    if (!alternatives.length) {
      return refuse(reasons[0] ?? `the access token's scopes (${granted}) grant no ${action} access to ${type}`);
    }
    if (alternatives.length === 1) return { allowed: true, where: alternatives[0] };
    return { allowed: true, where: [{ kind: 'or', any: alternatives.map((all) => (all.length === 1 ? all[0] : { kind: 'and', all })) }] };
  };

  return {
    unrestricted: false,
    administrator,
    system: scopes.some((s) => s.context === 'system'),
    access(type, action) {
      const key = `${action} ${type}`;
      let access = memo.get(key);
      if (!access) memo.set(key, (access = decide(type, action)));
      return access;
    },
  };
}

/** The conditions one scope puts on a type; undefined when the scope grants nothing for it. */
function conditionsOf(
  scope: ClinicalScope,
  type: string,
  action: AccessAction,
  caller: Caller,
  patientUser: string | undefined,
  deps: PolicyDeps,
  reasons: string[],
): Predicate[] | undefined {
  const where: Predicate[] = [];
  // Whose compartment(s) the scope is confined to: the patient in context for patient/ scopes, and
  // in every case the user's own when the user is a patient.
  const patients = new Set<string>();
  if (scope.context === 'patient') {
    if (!caller.patient) {
      reasons.push(`${scope.text} needs a patient in context, and the access token has none`);
      return undefined;
    }
    patients.add(caller.patient);
  }
  if (patientUser && scope.context !== 'system') patients.add(patientUser);
  for (const patient of patients) {
    const member = compartmentOf(type, patient, deps.compartments, action);
    if (member === 'shared') {
      if (isWrite(action)) {
        reasons.push(`${type} is outside the patient's compartment: a patient-restricted caller may read it, not change it`);
        return undefined;
      }
      continue;
    }
    if (!member) {
      reasons.push(`${type} is not in the Patient compartment and may hold other patients' data`);
      return undefined;
    }
    where.push(member);
  }
  if (scope.query) {
    const granular = granularPredicates(scope, type, deps);
    if (!granular) {
      reasons.push(`the scope ${scope.text} has a query this server cannot apply`);
      return undefined;
    }
    where.push(...granular);
  }
  return where;
}

/** "In Patient/id's compartment" for a type; 'shared' for a type that carries no patient data;
 * undefined when the type is neither. */
function compartmentOf(type: string, patient: string, compartments: Compartments, action: AccessAction): Predicate | 'shared' | undefined {
  if (type === 'Schedule' && !isWrite(action)) {
    // A Schedule is in the Patient compartment through its actor, but most are a practitioner's or
    // a clinic's: directory data a patient needs to find and book Slots ($find). A patient-
    // restricted caller reads their own and those with no Patient among the actors; changes
    // stay confined to their own.
    return { kind: 'or', any: [compartments.membership('Patient', patient, [type]), { kind: 'not', predicate: { kind: 'reference', param: 'actor', type: 'Patient' } }] };
  }
  if (type === 'Patient') {
    // The patient's own record, and records that link to it (Patient.link, the compartment's param).
    return { kind: 'or', any: [{ kind: 'id', ids: [patient] }, compartments.membership('Patient', patient, ['Patient'])] };
  }
  if (compartments.params('Patient', type).length) return compartments.membership('Patient', patient, [type]);
  return SHARED_TYPES.has(type) ? 'shared' : undefined;
}

function granularPredicates(scope: ClinicalScope, type: string, deps: PolicyDeps): Predicate[] | undefined {
  try {
    const parsed = parseSearchQuery(deps.registry, scope.query!, {
      resourceTypes: [type],
      defaultCount: 1,
      maxCount: 1,
      now: deps.now(),
      terminology: deps.terminology,
    });
    // Only filters: a scope cannot sort, page or include.
    if (parsed.plan.include.length || parsed.plan.revinclude.length || parsed.plan.sort.length) return undefined;
    return parsed.plan.where;
  } catch {
    return undefined;
  }
}

/** `Patient/123` or `https://…/Patient/123` → `123`. */
function patientOf(fhirUser: string | undefined): string | undefined {
  return fhirUser ? /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(fhirUser)?.[1] : undefined;
}

/** Server administration needs every right on every type at system level. */
function isAdministrator(scopes: ClinicalScope[]): boolean {
  const rights = new Set<string>();
  for (const s of scopes) if (s.context === 'system' && s.resourceType === '*' && !s.query) for (const p of s.permissions) rights.add(p);
  return ['c', 'r', 'u', 'd', 's'].every((p) => rights.has(p));
}

function refuse(reason: string): TypeAccess {
  return { allowed: false, reason };
}
