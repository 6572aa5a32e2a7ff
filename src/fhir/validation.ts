// The validation every write passes: the resource against the R4 base definition of its type and
// against each profile in meta.profile that the server knows (the StructureDefinition-driven
// validator in ./validator). Issues of severity error refuse the write; warnings travel with them.
import type { FhirDefinitions } from './definitions';
import { ConformanceRegistry } from './validator/registry';
import { FhirValidator } from './validator/validator';
import { issue, type ValidationIssue } from './validator/messages';
import { TerminologyService } from '../terminology/service';

export interface ValidationSettings {
  /** An unknown profile in meta.profile: an error instead of a warning (NIMBUS_STRICT_PROFILES). */
  strictProfiles: boolean;
  /** Profiles every write of a type must conform to (NIMBUS_REQUIRED_PROFILES). */
  requiredProfiles?: Record<string, string[]>;
}

/** Terminology findings a package's own resources may carry (see validatePackageContent). */
const PACKAGE_TOLERATED = new Set(['CODE_NOT_IN_REQUIRED_VALUESET', 'CODE_UNKNOWN_IN_SYSTEM']);

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
    const required = this.requiredProfiles(type);
    if (!required.length) return this.validator.validate(resource, { type, unknownProfile: this.settings.strictProfiles ? 'error' : 'warning' });
    // A required profile the server does not know (its package not installed yet) refuses the
    // write: accepting it would let through exactly what the setting is there to stop.
    const known = required.filter((url) => this.registry.structureDefinition(url));
    const missing = required
      .filter((url) => !known.includes(url))
      .map((url) => issue('PROFILE_UNKNOWN', `${type}`, `Every ${type} must conform to the profile ${url} (NIMBUS_REQUIRED_PROFILES), which this server does not know: install the package that defines it`, 'error'));
    return [...missing, ...this.validator.validate(resource, { type, profiles: known, unknownProfile: this.settings.strictProfiles ? 'error' : 'warning' })];
  }

  /**
   * The check of a FHIR package's conformance resources: against the R4 base definition only (not
   * the profiles they claim, e.g. shareablecodesystem), and a code outside a required binding is a
   * warning — published packages carry codes newer than R4 (HL7 work groups added since) that the
   * reference validator of their own release accepts. Everything structural stays an error.
   */
  validatePackageContent(resource: unknown, type: string): ValidationIssue[] {
    return this.validator
      .validate(resource, { type, metaProfiles: false })
      .map((i) => (PACKAGE_TOLERATED.has(i.messageId) && i.severity === 'error' ? { ...i, severity: 'warning' as const } : i));
  }

  /** This validator as seen by the writes of a package install (see validatePackageContent). */
  forPackageContent(): ResourceValidator {
    const view = Object.create(this) as ResourceValidator;
    view.validate = (resource, type) => this.validatePackageContent(resource, type);
    return view;
  }

  /** The profiles every write of `type` must conform to. */
  requiredProfiles(type: string): string[] {
    return this.settings.requiredProfiles?.[type] ?? [];
  }
}

export { hasErrors } from './validator/validator';
