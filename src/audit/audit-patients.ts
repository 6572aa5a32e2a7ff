// The patients an access concerns, for the audit trail's patient entity (BALP: "the patient" of a
// read or search of anything in a patient's compartment, e.g. the Patient an Observation's subject
// names when a practitioner reads the Observation). Resolved by the audit trail's writer, off the
// request's critical path: the request only notes which resources it touched (Type/id), and here
// one database query per resource type asks which Patients those resources reference through the
// R4 Patient CompartmentDefinition's parameters — the same definition the access policy uses, so
// "the patient of" means the same thing in both.
import type { Compartments } from '../search/compartments';
import type { Predicate } from '../search/plan';
import type { EngineReader } from '../storage/engine';

/** Most Patients named per resource type of one access (a search of a population names many). */
const MAX_PATIENTS = 100;

export type PatientResolver = (touched: string[]) => Promise<string[]>;

/** `reader` must see everything (the server's own access): the audit trail is for administrators. */
export function patientResolver(reader: EngineReader, compartments: Compartments): PatientResolver {
  return async (touched) => {
    const byType = new Map<string, Set<string>>();
    for (const ref of touched) {
      const slash = ref.indexOf('/');
      const type = ref.slice(0, slash);
      // A Patient is its own patient (the caller of the audit trail adds it directly).
      if (slash < 1 || type === 'Patient') continue;
      byType.set(type, (byType.get(type) ?? new Set()).add(ref.slice(slash + 1)));
    }
    const patients = new Set<string>();
    for (const [type, ids] of byType) {
      const params = compartments.params('Patient', type).filter((p) => p !== '{def}');
      if (!params.length) continue;
      const where: Predicate[] = [{ kind: 'id', ids: [...ids] }];
      const has = params.map((param): Predicate => ({ kind: 'has', sourceType: type, param, where }));
      const found = await reader.search({
        resourceTypes: ['Patient'],
        where: [has.length === 1 ? has[0] : { kind: 'or', any: has }],
        sort: [],
        count: MAX_PATIENTS,
        total: 'none',
        include: [],
        revinclude: [],
      });
      for (const v of found.matches) patients.add(v.id);
    }
    return [...patients];
  };
}
