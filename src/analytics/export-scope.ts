// What a Bulk Data export covers (hl7.org/fhir/uv/bulkdata/export.html), decided once at kick-off
// and kept in the job's checkpoint: the types in order and, per type, the predicates restricting
// it (none: every resource of the type, streamed by scanPage; some: a keyset search). Pure but for
// the Group read, which goes through the caller's door.
import type { Group } from '@medplum/fhirtypes';
import type { DataAccess } from '../access/data-access';
import { errors } from '../fhir/errors';
import { restrictingPredicates } from './criteria';
import type { Predicate } from '../search/plan';
import type { SearchServices } from '../search/service';

export const OUTPUT_FORMATS = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];

/** Where the export was asked for (the operation's target; the Group's current version at the
 * instance level). */
export interface ExportTarget {
  level: 'system' | 'type' | 'instance';
  resourceType?: string;
  id?: string;
  current?: { json?: string };
}

export interface ExportRequest {
  target: ExportTarget;
  outputFormat?: string;
  since?: string;
  types: string[];
  typeFilters: string[];
  /** Patient level: `patient` references. */
  patients: string[];
}

export interface TypeScope {
  type: string;
  /** Absent: the whole type (scanPage). Present: the type's resources satisfying all of these. */
  where?: Predicate[];
}

export async function exportScope(data: DataAccess, search: SearchServices, baseUrl: string, request: ExportRequest): Promise<TypeScope[]> {
  const { target } = request;
  if (target.level === 'type' && target.resourceType !== 'Patient') throw errors.badRequest('$export at the type level is Patient/$export');
  if (target.level === 'instance' && target.resourceType !== 'Group') throw errors.badRequest('$export at the instance level is Group/[id]/$export');
  if (request.outputFormat !== undefined && !OUTPUT_FORMATS.includes(request.outputFormat)) {
    throw errors.invalidParam('_outputFormat', `'${request.outputFormat.slice(0, 60)}' is not supported: use ${OUTPUT_FORMATS.join(', ')}`);
  }
  if (request.patients.length && target.level !== 'type') throw errors.invalidParam('patient', 'is only for Patient/$export');
  const known = search.registry.resourceTypes;
  for (const t of request.types) if (!known.has(t)) throw errors.invalidParam('_type', `'${t.slice(0, 64)}' is not an R4 resource type`);

  const patientScoped = target.level !== 'system';
  const compartmentTypes = search.compartments.memberTypes('Patient');
  // Only types that hold resources: a whole-store export then costs nothing for R4's many unused types.
  const inUse = new Set(await data.typesInUse());
  let types = patientScoped ? ['Patient', ...compartmentTypes.filter((t) => t !== 'Patient').sort()] : [...known].sort();
  if (request.types.length) {
    if (patientScoped) for (const t of request.types) if (!compartmentTypes.includes(t)) throw errors.invalidParam('_type', `${t} is not in the Patient compartment, so a patient-level export has none`);
    types = types.filter((t) => request.types.includes(t));
  }

  const filters = typeFilters(search, baseUrl, request.typeFilters, types);
  types = types.filter((t) => inUse.has(t));
  // Patient level: whose compartments. Undefined: every patient's.
  let patientIds: string[] | undefined;
  if (request.patients.length) patientIds = request.patients.map((r) => patientId(r, 'patient'));
  if (target.level === 'instance') patientIds = groupPatients(target.current!.json!);

  return types.map((type) => {
    const where: Predicate[] = [];
    const members = patientScoped ? compartmentPredicate(search, type, patientIds) : undefined;
    if (members) where.push(members);
    const typeFilter = filters.get(type);
    if (typeFilter) where.push(typeFilter.length === 1 ? { kind: 'and', all: typeFilter[0] } : { kind: 'or', any: typeFilter.map((all) => ({ kind: 'and', all })) });
    return where.length ? { type, where } : { type };
  });
}

/** `_typeFilter=Type?query`: parsed and checked now (400 at kick-off), alternatives per type. */
function typeFilters(search: SearchServices, baseUrl: string, texts: string[], types: string[]): Map<string, Predicate[][]> {
  const out = new Map<string, Predicate[][]>();
  for (const text of texts.flatMap(splitFilters)) {
    const q = text.indexOf('?');
    const type = q < 0 ? text : text.slice(0, q);
    if (q < 0 || !search.registry.resourceTypes.has(type)) throw errors.invalidParam('_typeFilter', `'${text.slice(0, 100)}' is not Type?search for an R4 resource type`);
    if (!types.includes(type)) throw errors.invalidParam('_typeFilter', `${type} is not among the exported types`);
    const where = restrictingPredicates(search, baseUrl, type, text.slice(q + 1));
    if (!where) throw errors.invalidParam('_typeFilter', `'${text.slice(0, 100)}' may only restrict resources (no _include, _revinclude or _sort)`);
    out.set(type, [...(out.get(type) ?? []), where]);
  }
  return out;
}

/** A filter may hold several, comma-separated, when the client did not repeat the parameter. A
 * comma inside a search value is escaped (`\,`) or part of an OR list after `=`, so split only
 * before something that starts like `Type?`. */
function splitFilters(text: string): string[] {
  return text.split(/,(?=[A-Z][A-Za-z]+\?)/);
}

function patientId(reference: string, param: string): string {
  const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference);
  if (!m) throw errors.invalidParam(param, `'${reference.slice(0, 80)}' is not a Patient reference`);
  return m[1];
}

/** Patient members of a Group (member.entity), inactive ones left out. */
function groupPatients(json: string): string[] {
  const group = JSON.parse(json) as Group;
  const ids = new Set<string>();
  for (const m of group.member ?? []) {
    if (m.inactive) continue;
    const ref = m.entity?.reference;
    const match = ref ? /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
    if (match) ids.add(match[1]);
  }
  return [...ids];
}

/** Undefined: no restriction (every Patient, when every patient's compartment is exported). */
function compartmentPredicate(search: SearchServices, type: string, patientIds?: string[]): Predicate | undefined {
  if (patientIds && !patientIds.length) return { kind: 'nothing', reason: 'the group has no Patient members' };
  if (patientIds) {
    const any = patientIds.map((id) => search.compartments.membership('Patient', id, [type]));
    if (type === 'Patient') any.push({ kind: 'id', ids: patientIds });
    return { kind: 'or', any };
  }
  if (type === 'Patient') return undefined;
  const params = search.compartments.params('Patient', type).filter((p) => p !== '{def}');
  return { kind: 'or', any: params.map((param) => ({ kind: 'reference', param, type: 'Patient' }) as Predicate) };
}
