// R4 CompartmentDefinitions (Patient, Encounter, RelatedPerson, Practitioner, Device), shipped as
// data in fhir-profiles/compartments/. A compartment search `Patient/123/Observation` becomes an
// extra predicate: any of the compartment's parameters of Observation refers to Patient/123.
// Access control reuses the same function, so a policy can scope any search to a compartment.
import fs from 'node:fs';
import path from 'node:path';
import type { Predicate } from './plan';
import { searchErrors } from './errors';

interface CompartmentDefinitionLike {
  resourceType: 'CompartmentDefinition';
  code: string;
  resource: Array<{ code: string; param?: string[] }>;
}

export class Compartments {
  /** compartment type → member resource type → parameters linking it to the compartment owner. */
  private readonly definitions = new Map<string, Map<string, string[]>>();

  constructor(dir: string) {
    for (const file of fs.readdirSync(dir)) {
      if (!/^CompartmentDefinition-.*\.json$/.test(file)) continue;
      const def = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CompartmentDefinitionLike;
      const members = new Map<string, string[]>();
      for (const r of def.resource) if (r.param?.length) members.set(r.code, r.param);
      this.definitions.set(def.code, members);
    }
  }

  has(compartment: string): boolean {
    return this.definitions.has(compartment);
  }

  /** Resource types that can be members of the compartment. */
  memberTypes(compartment: string): string[] {
    return [...(this.definitions.get(compartment)?.keys() ?? [])];
  }

  /** Parameters of `resourceType` that place it in the compartment (empty: not a member). */
  params(compartment: string, resourceType: string): string[] {
    return this.definitions.get(compartment)?.get(resourceType) ?? [];
  }

  /** The predicate "member of compartment/id" for the given resource types. */
  membership(compartment: string, id: string, resourceTypes: string[]): Predicate {
    if (!this.has(compartment)) throw searchErrors.unknownCompartment(compartment);
    const any: Predicate[] = [];
    const seen = new Set<string>();
    for (const type of resourceTypes) {
      const params = this.params(compartment, type);
      if (params.length === 0) throw searchErrors.notInCompartment(compartment, type);
      for (const param of params) {
        // `{def}` marks the compartment owner itself (e.g. Patient in the Patient compartment
        // via `link`); parameters are shared between types, so each is listed once.
        if (param === '{def}' || seen.has(param)) continue;
        seen.add(param);
        any.push({ kind: 'reference', param, type: compartment, id });
      }
    }
    return any.length === 1 ? any[0] : { kind: 'or', any };
  }
}

/** The compartment definitions that ship with the server. */
export function defaultCompartmentsDir(): string {
  return path.resolve(__dirname, '../../fhir-profiles/compartments');
}
