// What every walk shares: the registry, the compiled-structure cache (one compile per profile,
// dropped when the registry changes), primitive rules, the invariant evaluator and terminology.
import { compileStructure, type CompiledStructure, type ElementNode } from './compile';
import { InvariantEvaluator } from './invariants';
import { generateSnapshot } from './snapshot';
import { PrimitiveRules } from './primitives';
import type { ConformanceRegistry } from './registry';
import type { Occurrence, SliceServices } from './slicing';
import type { TerminologyService } from '../../terminology/service';
import { Walker } from './walker';

export interface ValidatorOptions {
  /** An extension whose definition is unknown: a warning (default) or an error. */
  unknownExtensions: 'warning' | 'error';
  /** Extensions from these URL prefixes are accepted without a definition (examples, tests). */
  allowedExtensionDomains: string[];
  /** Unknown extensions from these URL prefixes are only warnings even when unknownExtensions is 'error'. */
  lenientExtensionDomains: string[];
  /** A display that is not the code system's display for the code: warning (default) or error. */
  displayMismatch: 'warning' | 'error';
  /** Native and compiled evaluation of common invariants (false: everything through fhirpath.js). */
  fastInvariants: boolean;
  /** Best-practice invariants (dom-6…): ignored (default, as the reference validator does) or warnings. */
  bestPractice: 'ignore' | 'warning';
  /** Strings that look like embedded HTML are errors (the reference validator's security checks; default off). */
  securityChecks: boolean;
  /** Markdown with unescaped tag-like `<x` is an error (default off: markdown may carry HTML). */
  noHtmlInMarkdown: boolean;
  /** URLs at example.org/example.com are accepted (default true; false for production data). */
  allowExampleUrls: boolean;
}

export const DEFAULT_OPTIONS: ValidatorOptions = {
  unknownExtensions: 'warning',
  allowedExtensionDomains: [],
  lenientExtensionDomains: [],
  displayMismatch: 'warning',
  fastInvariants: true,
  bestPractice: 'ignore',
  securityChecks: false,
  noHtmlInMarkdown: false,
  allowExampleUrls: true,
};

export class ValidatorCore {
  readonly primitives: PrimitiveRules;
  readonly invariants: InvariantEvaluator;
  private readonly compiled = new Map<string, CompiledStructure | null>();
  private generation = -1;

  constructor(
    readonly registry: ConformanceRegistry,
    readonly terminology: TerminologyService,
    private readonly resourceTypes: ReadonlySet<string>,
    readonly options: ValidatorOptions = DEFAULT_OPTIONS,
  ) {
    this.primitives = new PrimitiveRules(registry);
    this.invariants = new InvariantEvaluator(options.fastInvariants);
  }

  /** A StructureDefinition by canonical, compiled once (undefined: unknown or without snapshot). */
  structure(url: string): CompiledStructure | undefined {
    if (this.generation !== this.registry.generation) {
      this.compiled.clear();
      this.generation = this.registry.generation;
    }
    let hit = this.compiled.get(url);
    if (hit === undefined) {
      hit = this.compile(url);
      this.compiled.set(url, hit);
    }
    return hit ?? undefined;
  }

  /** Compiles a definition; a profile given only as a differential gets its snapshot first. */
  private compile(url: string): CompiledStructure | null {
    let sd = this.registry.structureDefinition(url);
    if (!sd) return null;
    if (!sd.snapshot?.element?.length) {
      if (!sd.differential?.element?.length) return null;
      try {
        sd = generateSnapshot(sd, this.registry);
      } catch {
        return null; // reported as an unknown (unusable) profile where it is used
      }
    }
    return compileStructure(sd);
  }

  baseStructure(type: string): CompiledStructure | undefined {
    let url = this.baseUrls.get(type);
    if (!url) this.baseUrls.set(type, (url = `http://hl7.org/fhir/StructureDefinition/${type}`));
    return this.structure(url);
  }

  private readonly baseUrls = new Map<string, string>();

  profileStructure(url: string): CompiledStructure | undefined {
    return this.structure(url);
  }

  /** The type a (target) profile constrains: `…/Patient` → Patient; a profile → its base type. */
  typeOfProfile(url: string): string | undefined {
    let hit = this.profileTypes.get(url);
    if (hit === undefined) this.profileTypes.set(url, (hit = this.findTypeOfProfile(url) ?? null));
    return hit ?? undefined;
  }

  private readonly profileTypes = new Map<string, string | null>();

  private findTypeOfProfile(url: string): string | undefined {
    const m = /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/([A-Za-z]+)$/.exec(url.split('|')[0]);
    if (m && (this.resourceTypes.has(m[1]) || m[1] === 'Resource')) return m[1];
    return this.registry.structureDefinition(url)?.type;
  }

  isResourceType(type: string): boolean {
    return type === 'Resource' || type === 'DomainResource' || this.resourceTypes.has(type);
  }

  isConcreteResourceType(type: string): boolean {
    return this.resourceTypes.has(type);
  }

  isAllowedExtensionDomain(url: string): boolean {
    return this.options.allowedExtensionDomains.some((d) => url.startsWith(d));
  }

  /**
   * The definition to walk a complex value against: the profile the element names for the type
   * (a profiled datatype, an extension definition), else the base definition of the type. An
   * extension without a profile is walked against the definition its `url` names, when known.
   */
  structureForType(node: ElementNode, type: string, value: unknown): CompiledStructure | undefined {
    const t = node.types.find((x) => x.code === type);
    for (const p of t?.profiles ?? []) {
      const s = this.structure(p);
      if (s) return s;
    }
    if (type === 'Extension') {
      const url = (value as { url?: unknown } | undefined)?.url;
      if (typeof url === 'string') {
        const s = this.structure(url);
        if (s && s.type === 'Extension') return s;
      }
    }
    return this.baseStructure(type);
  }

  sliceServices(): SliceServices {
    return {
      conformsTo: (occ: Occurrence, profiles: string[], node: ElementNode) => {
        const probe = new Walker(this);
        if (profiles.length) {
          for (const p of profiles) {
            const s = this.structure(p);
            if (!s) continue;
            const before = probe.issues.length;
            if (s.kind === 'resource') probe.resource(occ.value, s, occ.path, { resource: occ.value, rootResource: occ.value });
            else probe.value({ ...occ, type: s.type }, { ...s.root, types: [{ code: s.type, profiles: [p], targetProfiles: [] }] } as ElementNode, { resource: undefined, rootResource: undefined });
            if (!probe.issues.slice(before).some((i) => i.severity === 'error')) return true;
          }
          return false;
        }
        probe.value(occ, node, { resource: undefined, rootResource: undefined });
        return !probe.issues.some((i) => i.severity === 'error');
      },
      inValueSet: (valueSet: string, value: unknown) => {
        if (typeof value === 'string') return this.terminology.inValueSet(valueSet, undefined, value);
        const codings = (value as { coding?: unknown })?.coding;
        const list = Array.isArray(codings) ? codings : [value];
        let answer: boolean | undefined = false;
        for (const c of list as Array<{ system?: unknown; code?: unknown }>) {
          if (typeof c?.code !== 'string') continue;
          const r = this.terminology.inValueSet(valueSet, typeof c.system === 'string' ? c.system : undefined, c.code);
          if (r) return true;
          if (r === undefined) answer = undefined;
        }
        return answer;
      },
      typeChildren: (node: ElementNode, type?: string) => {
        const t = type ?? node.types[0]?.code;
        if (!t) return [];
        return this.structureForType(node, t, undefined)?.root.children ?? [];
      },
    };
  }
}
