// The StructureDefinition-driven validator: a resource against the base definition of its type and
// against profiles — those asked for and those it claims in meta.profile. Used by every write and
// by $validate, so both give the same verdict.
import type { IssueSeverity } from '../errors';
import { DEFAULT_OPTIONS, ValidatorCore, type ValidatorOptions } from './core';
import { issue, type ValidationIssue } from './messages';
import type { ConformanceRegistry } from './registry';
import { Walker, isObject } from './walker';
import type { TerminologyService } from '../../terminology/service';

export interface ValidateOptions {
  /** The type the resource must be (e.g. the type in the URL); defaults to its resourceType. */
  type?: string;
  /** Profiles to validate against besides those in meta.profile. */
  profiles?: string[];
  /** Whether meta.profile entries are validated (default true). */
  metaProfiles?: boolean;
  /** Severity for a profile the server does not know (default: warning). */
  unknownProfile?: IssueSeverity;
}

export class FhirValidator {
  readonly core: ValidatorCore;

  constructor(registry: ConformanceRegistry, terminology: TerminologyService, resourceTypes: ReadonlySet<string>, options: Partial<ValidatorOptions> = {}) {
    this.core = new ValidatorCore(registry, terminology, resourceTypes, { ...DEFAULT_OPTIONS, ...options });
  }

  validate(resource: unknown, opts: ValidateOptions = {}): ValidationIssue[] {
    if (!isObject(resource)) return [issue('OBJECT_EXPECTED', opts.type ?? 'Resource', 'A resource must be a JSON object')];
    const rt = resource.resourceType;
    const type = opts.type ?? (typeof rt === 'string' ? rt : undefined);
    if (typeof rt !== 'string') return [issue('RESOURCE_TYPE_MISSING', type ?? 'Resource', 'The resource has no resourceType')];
    if (!this.core.isConcreteResourceType(rt)) return [issue('RESOURCE_TYPE_UNKNOWN', rt.slice(0, 64), `'${rt.slice(0, 64)}' is not an R4 resource type`)];
    const base = this.core.baseStructure(rt);
    if (!base) return [issue('RESOURCE_TYPE_UNKNOWN', rt, `No definition is known for ${rt}`)];
    const walker = new Walker(this.core);
    const scope = { resource: resource, rootResource: resource };
    walker.resource(resource, base, rt, scope);
    const profiles = new Set(opts.profiles ?? []);
    if (opts.metaProfiles !== false) {
      const meta = resource.meta as { profile?: unknown } | undefined;
      if (Array.isArray(meta?.profile)) for (const p of meta.profile) if (typeof p === 'string') profiles.add(p);
    }
    for (const url of profiles) {
      const structure = this.core.profileStructure(url);
      if (!structure) {
        walker.add('PROFILE_UNKNOWN', `${rt}.meta.profile`, `The profile ${url} is not known to this server, so the resource was not checked against it`, opts.unknownProfile ?? 'warning');
        continue;
      }
      if (structure.type !== rt) {
        walker.add('PROFILE_WRONG_TYPE', `${rt}.meta.profile`, `The profile ${url} is for ${structure.type}, not ${rt}`);
        continue;
      }
      if (structure.url === base.url) continue;
      walker.profilePass = true;
      walker.resource(resource, structure, rt, scope);
    }
    return dedupe(walker.issues);
  }
}

/** A profile repeats the base definition's rules; report each finding once. */
function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.messageId}|${i.expression?.[0]}|${i.diagnostics}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function hasErrors(issues: { severity: IssueSeverity }[]): boolean {
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}
