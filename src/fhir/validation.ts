// The validation every write passes: the resource against the R4 base definition of its type and
// against each profile in meta.profile that the server knows (the StructureDefinition-driven
// validator in ./validator). Issues of severity error refuse the write; warnings travel with them.
import type { FhirDefinitions } from './definitions';
import { ConformanceRegistry } from './validator/registry';
import { FhirValidator } from './validator/validator';
import type { ValidationIssue } from './validator/messages';
import { TerminologyService } from '../terminology/service';

export interface ValidationSettings {
  /** An unknown profile in meta.profile: an error instead of a warning (NIMBUS_STRICT_PROFILES). */
  strictProfiles: boolean;
}

export class ResourceValidator {
  readonly validator: FhirValidator;

  constructor(
    definitions: FhirDefinitions,
    readonly registry: ConformanceRegistry = new ConformanceRegistry(),
    readonly terminology: TerminologyService = new TerminologyService(registry),
    private readonly settings: ValidationSettings = { strictProfiles: false },
  ) {
    this.validator = new FhirValidator(registry, terminology, new Set(definitions.resourceTypes));
  }

  /** Validates `resource` as an instance of `type`; every issue found (errors and warnings). */
  validate(resource: unknown, type: string): ValidationIssue[] {
    return this.validator.validate(resource, { type, unknownProfile: this.settings.strictProfiles ? 'error' : 'warning' });
  }
}

export { hasErrors } from './validator/validator';
