// A validator over the R4 core definitions plus the resources a test adds (profiles given as
// differentials get their snapshots the way fhir-profiles/ and packages do).
import { r4Definitions } from '../../../src/fhir/definitions';
import { ConformanceRegistry, R4PackageSource, type CanonicalResource, type StructureDefinitionLike } from '../../../src/fhir/validator/registry';
import { generateSnapshot } from '../../../src/fhir/validator/snapshot';
import { FhirValidator, type ValidateOptions } from '../../../src/fhir/validator/validator';
import type { ValidatorOptions } from '../../../src/fhir/validator/core';
import type { ValidationIssue } from '../../../src/fhir/validator/messages';
import { TerminologyService } from '../../../src/terminology/service';

/** One package source for the whole test process: the core files are read once. */
export const coreSource = new R4PackageSource();

export function makeValidator(resources: CanonicalResource[] = [], options: Partial<ValidatorOptions> = {}) {
  const registry = new ConformanceRegistry(coreSource);
  for (const r of resources) registry.add(r);
  for (const r of resources) {
    if (r.resourceType === 'StructureDefinition' && !(r as { snapshot?: unknown }).snapshot) registry.add(generateSnapshot(r as StructureDefinitionLike, registry));
  }
  const terminology = new TerminologyService(registry);
  const validator = new FhirValidator(registry, terminology, new Set(r4Definitions().resourceTypes), options);
  return {
    registry,
    terminology,
    validator,
    validate: (resource: unknown, opts?: ValidateOptions) => validator.validate(resource, opts),
    errors: (resource: unknown, opts?: ValidateOptions) => validator.validate(resource, opts).filter((i) => i.severity === 'error'),
  };
}

export const ids = (issues: ValidationIssue[]) => issues.map((i) => i.messageId);

/** A profile as authors write it: a differential on a base definition. */
export function profile(id: string, type: string, elements: Array<Record<string, unknown>>, base = `http://hl7.org/fhir/StructureDefinition/${type}`): CanonicalResource {
  return {
    resourceType: 'StructureDefinition',
    id,
    url: `http://example.org/fhir/StructureDefinition/${id}`,
    name: id.replace(/[^A-Za-z0-9]/g, ''),
    status: 'active',
    kind: type === 'Extension' ? 'complex-type' : 'resource',
    abstract: false,
    type,
    baseDefinition: base,
    derivation: 'constraint',
    differential: { element: elements },
  };
}
