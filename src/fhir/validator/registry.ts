// The conformance resources the validator and the terminology service know: the R4 core
// definitions (read lazily, file by file, from the official `hl7.fhir.r4.examples` package) and any
// StructureDefinition, ValueSet, CodeSystem or ConceptMap added at run time (fhir-profiles/, FHIR
// packages, resources stored by clients). One registry per server, passed in; no global state.
import fs from 'node:fs';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RENAMED = new Map(Object.entries(require('./r4-renamed.json') as Record<string, string>));

/** Questionnaires are here too: a QuestionnaireResponse is validated against its Questionnaire. */
export type ConformanceType = 'StructureDefinition' | 'ValueSet' | 'CodeSystem' | 'ConceptMap' | 'Questionnaire';
export const CONFORMANCE_TYPES: readonly ConformanceType[] = ['StructureDefinition', 'ValueSet', 'CodeSystem', 'ConceptMap', 'Questionnaire'];

export interface CanonicalResource {
  resourceType: string;
  id?: string;
  url?: string;
  version?: string;
  [key: string]: unknown;
}

/** Where the core definitions come from; a test or a deployment can give another source. */
export interface DefinitionSource {
  /** The resource of `type` with canonical `url`, or undefined. */
  find(type: ConformanceType, url: string): CanonicalResource | undefined;
  /** Every resource of `type` (used for whole-catalogue look-ups; may be slow the first time). */
  all(type: ConformanceType): CanonicalResource[];
}

/**
 * The R4 core package as published (hl7.fhir.r4.examples holds the complete R4 definitions beside
 * the examples). Files are named `<Type>-<id>.json` and the id is the last segment of the canonical
 * URL for all but 83 of the 3,113 conformance resources; those are listed in r4-renamed.json
 * (generated from the package, checked by a test), so a look-up reads at most one file and a miss
 * (LOINC, SNOMED CT, a profile the package does not hold) reads none.
 */
export class R4PackageSource implements DefinitionSource {
  private readonly dir: string;
  private index?: Map<string, string>;
  private readonly cache = new Map<string, CanonicalResource | null>();

  constructor(dir?: string) {
    this.dir = dir ?? path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  }

  find(type: ConformanceType, url: string): CanonicalResource | undefined {
    const key = `${type}|${url}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    let found: CanonicalResource | undefined;
    const tail = url.split('/').pop() ?? '';
    if (/^[A-Za-z0-9\-.]{1,64}$/.test(tail)) {
      const r = this.readFile(`${type}-${tail}.json`);
      if (r && r.url === url) found = r;
    }
    if (!found) {
      const file = (this.index ?? RENAMED).get(key);
      if (file) found = this.readFile(file);
    }
    this.cache.set(key, found ?? null);
    return found;
  }

  all(type: ConformanceType): CanonicalResource[] {
    const out: CanonicalResource[] = [];
    for (const [key] of this.fullIndex()) {
      if (!key.startsWith(`${type}|`)) continue;
      const r = this.find(type, key.slice(type.length + 1));
      if (r) out.push(r);
    }
    return out;
  }

  private readFile(name: string): CanonicalResource | undefined {
    const file = path.join(this.dir, name);
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CanonicalResource;
  }

  /** url → file for every conformance resource of the package (~3,000 files, read once). */
  fullIndex(): Map<string, string> {
    if (this.index) return this.index;
    const index = new Map<string, string>();
    for (const name of fs.readdirSync(this.dir)) {
      const type = CONFORMANCE_TYPES.find((t) => name.startsWith(`${t}-`));
      if (!type || !name.endsWith('.json')) continue;
      const text = fs.readFileSync(path.join(this.dir, name), 'utf8');
      // The url is a top-level element; reading it by parsing keeps this exact.
      const url = (JSON.parse(text) as CanonicalResource).url;
      if (typeof url === 'string') index.set(`${type}|${url}`, name);
    }
    this.index = index;
    return index;
  }
}

/** Splits `url|version` (canonical references may pin a version). */
export function splitCanonical(ref: string): { url: string; version?: string } {
  const bar = ref.indexOf('|');
  return bar < 0 ? { url: ref } : { url: ref.slice(0, bar), version: ref.slice(bar + 1) };
}

export class ConformanceRegistry {
  /** Added resources by type and url; several versions of one url may coexist. */
  private readonly added = new Map<string, CanonicalResource[]>();
  /** Bumped on every change, so compiled caches (profiles, expansions) know to drop what they hold. */
  private generationCounter = 0;

  constructor(private readonly source: DefinitionSource = new R4PackageSource()) {}

  get generation(): number {
    return this.generationCounter;
  }

  /** Adds (or replaces, same url and version) a conformance resource; other types are ignored. */
  add(resource: CanonicalResource): boolean {
    const type = resource.resourceType as ConformanceType;
    if (!CONFORMANCE_TYPES.includes(type) || typeof resource.url !== 'string') return false;
    const key = `${type}|${resource.url}`;
    const list = (this.added.get(key) ?? []).filter((r) => r.version !== resource.version);
    list.push(resource);
    this.added.set(key, list);
    this.generationCounter++;
    return true;
  }

  remove(type: ConformanceType, url: string, version?: string): void {
    const key = `${type}|${url}`;
    const list = (this.added.get(key) ?? []).filter((r) => version !== undefined && r.version !== version);
    if (list.length) this.added.set(key, list);
    else this.added.delete(key);
    this.generationCounter++;
  }

  /** Resolves a canonical reference (`url` or `url|version`); added resources win over core ones. */
  resolve<T extends CanonicalResource = CanonicalResource>(type: ConformanceType, ref: string): T | undefined {
    const { url, version } = splitCanonical(ref);
    const list = this.added.get(`${type}|${url}`);
    if (list?.length) {
      if (version) {
        const exact = list.find((r) => r.version === version);
        if (exact) return exact as T;
      } else return latest(list) as T;
    }
    const core = this.source.find(type, url);
    if (core && (!version || !core.version || core.version === version || version.startsWith('4.0'))) return core as T;
    return undefined;
  }

  structureDefinition(ref: string): StructureDefinitionLike | undefined {
    return this.resolve<StructureDefinitionLike>('StructureDefinition', ref);
  }

  /**
   * A core R4 SearchParameter by canonical URL (derivedFrom, CapabilityStatement searchParam
   * definitions). Only the core catalogue: stored and package SearchParameters are the search
   * registry's business.
   */
  coreSearchParameter(url: string): (CanonicalResource & { type?: string; base?: string[] }) | undefined {
    const found = this.source.find('SearchParameter' as ConformanceType, splitCanonical(url).url);
    return found?.resourceType === 'SearchParameter' ? found : undefined;
  }

  /** The base definition of a FHIR type by name (`Patient`, `Quantity`, `string`). */
  typeDefinition(type: string): StructureDefinitionLike | undefined {
    return this.structureDefinition(type.includes('/') ? type : `http://hl7.org/fhir/StructureDefinition/${type}`);
  }

  /** Every added resource of a type (the core catalogue is not listed: it is looked up by url). */
  addedOfType(type: ConformanceType): CanonicalResource[] {
    const out: CanonicalResource[] = [];
    for (const [key, list] of this.added) if (key.startsWith(`${type}|`)) out.push(...list);
    return out;
  }

  /** Every resource of a type, core and added (slow the first time: reads the package index). */
  allOfType(type: ConformanceType): CanonicalResource[] {
    const added = this.addedOfType(type);
    const urls = new Set(added.map((r) => r.url));
    return [...added, ...this.source.all(type).filter((r) => !urls.has(r.url))];
  }
}

function latest(list: CanonicalResource[]): CanonicalResource {
  return list.reduce((a, b) => ((b.version ?? '') > (a.version ?? '') ? b : a));
}

export interface ElementDefinitionLike {
  id?: string;
  path: string;
  sliceName?: string;
  min?: number;
  max?: string;
  base?: { path: string; min: number; max: string };
  type?: Array<{ code: string; profile?: string[]; targetProfile?: string[]; extension?: Array<{ url: string; valueString?: string; valueUrl?: string }> }>;
  contentReference?: string;
  slicing?: { discriminator?: Array<{ type: string; path: string }>; ordered?: boolean; rules?: string };
  binding?: { strength: string; valueSet?: string };
  constraint?: Array<{ key: string; severity: string; human: string; expression?: string; source?: string; extension?: Array<{ url: string; valueBoolean?: boolean }> }>;
  maxLength?: number;
  [key: string]: unknown;
}

export interface StructureDefinitionLike extends CanonicalResource {
  resourceType: 'StructureDefinition';
  url: string;
  name?: string;
  type: string;
  kind: string;
  abstract?: boolean;
  derivation?: string;
  baseDefinition?: string;
  context?: Array<{ type: string; expression: string }>;
  snapshot?: { element: ElementDefinitionLike[] };
  differential?: { element: ElementDefinitionLike[] };
}
