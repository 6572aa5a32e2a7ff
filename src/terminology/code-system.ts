// One CodeSystem, indexed for look-ups: code → concept, the is-a hierarchy (nested concepts and the
// `parent`/`child` properties), designations and properties. Built once per CodeSystem version.

export interface Designation {
  language?: string;
  use?: { system?: string; code?: string; display?: string };
  value: string;
}

export interface ConceptProperty {
  code: string;
  valueCode?: string;
  valueCoding?: { system?: string; code?: string; display?: string };
  valueString?: string;
  valueInteger?: number;
  valueBoolean?: boolean;
  valueDateTime?: string;
  valueDecimal?: number;
}

export interface ConceptDef {
  code: string;
  display?: string;
  definition?: string;
  designation?: Designation[];
  property?: ConceptProperty[];
  concept?: ConceptDef[];
}

export interface CodeSystemResource {
  resourceType: 'CodeSystem';
  url: string;
  version?: string;
  name?: string;
  title?: string;
  status?: string;
  content?: string;
  caseSensitive?: boolean;
  hierarchyMeaning?: string;
  valueSet?: string;
  concept?: ConceptDef[];
  property?: Array<{ code: string; uri?: string; type?: string }>;
}

export interface IndexedConcept {
  code: string;
  display?: string;
  definition?: string;
  designation: Designation[];
  property: ConceptProperty[];
  parents: string[];
  children: string[];
  /** Concepts marked inactive/deprecated/abstract through standard properties. */
  inactive: boolean;
  abstract: boolean;
}

export class CodeSystemIndex {
  readonly concepts = new Map<string, IndexedConcept>();
  /** Codes in definition order (expansions keep it). */
  readonly order: string[] = [];
  private readonly folded?: Map<string, string>;

  constructor(readonly resource: CodeSystemResource) {
    const walk = (list: ConceptDef[] | undefined, parent?: string) => {
      for (const c of list ?? []) {
        const existing = this.concepts.get(c.code);
        const entry: IndexedConcept = existing ?? {
          code: c.code,
          display: c.display,
          definition: c.definition,
          designation: c.designation ?? [],
          property: c.property ?? [],
          parents: [],
          children: [],
          inactive: false,
          abstract: false,
        };
        if (!existing) {
          this.concepts.set(c.code, entry);
          this.order.push(c.code);
        }
        if (parent && !entry.parents.includes(parent)) entry.parents.push(parent);
        walk(c.concept, c.code);
      }
    };
    walk(resource.concept);
    for (const entry of this.concepts.values()) {
      for (const p of entry.property) {
        const v = p.valueCode ?? p.valueCoding?.code ?? p.valueString;
        if ((p.code === 'parent' || p.code === 'subsumedBy') && v && !entry.parents.includes(v)) entry.parents.push(v);
        if (p.code === 'status' && (v === 'retired' || v === 'inactive')) entry.inactive = true;
        if (p.code === 'inactive' && p.valueBoolean === true) entry.inactive = true;
        if (p.code === 'deprecated' || p.code === 'deprecationDate') entry.inactive = true;
        if ((p.code === 'notSelectable' || p.code === 'abstract') && p.valueBoolean === true) entry.abstract = true;
      }
    }
    for (const entry of this.concepts.values()) {
      for (const parent of entry.parents) {
        const pe = this.concepts.get(parent);
        if (pe && !pe.children.includes(entry.code)) pe.children.push(entry.code);
      }
    }
    if (resource.caseSensitive === false) {
      this.folded = new Map();
      for (const code of this.concepts.keys()) this.folded.set(code.toLowerCase(), code);
    }
  }

  get url(): string {
    return this.resource.url;
  }

  /** True when the CodeSystem lists every code (a code it lacks does not exist). */
  get complete(): boolean {
    return (this.resource.content ?? 'complete') === 'complete';
  }

  get(code: string): IndexedConcept | undefined {
    const hit = this.concepts.get(code);
    if (hit || !this.folded) return hit;
    const real = this.folded.get(code.toLowerCase());
    return real ? this.concepts.get(real) : undefined;
  }

  /** Every code below `code` (not including it). */
  descendants(code: string): Set<string> {
    return this.closure(code, (c) => c.children);
  }

  ancestors(code: string): Set<string> {
    return this.closure(code, (c) => c.parents);
  }

  private closure(code: string, next: (c: IndexedConcept) => string[]): Set<string> {
    const out = new Set<string>();
    const queue = [code];
    while (queue.length) {
      const c = this.concepts.get(queue.pop()!);
      for (const n of c ? next(c) : []) {
        if (!out.has(n)) {
          out.add(n);
          queue.push(n);
        }
      }
    }
    return out;
  }

  /** `a` subsumes `b` when they are the same concept or `a` is an ancestor of `b`. */
  subsumes(a: string, b: string): boolean {
    return a === b || this.ancestors(b).has(a);
  }

  /** The value of a concept property as text (codes, codings, strings, numbers, booleans). */
  propertyValues(concept: IndexedConcept, property: string): string[] {
    if (property === 'code' || property === 'concept') return [concept.code];
    if (property === 'display') return concept.display ? [concept.display] : [];
    if (property === 'parent') return concept.parents;
    if (property === 'child') return concept.children;
    return concept.property
      .filter((p) => p.code === property)
      .map((p) => String(p.valueCode ?? p.valueCoding?.code ?? p.valueString ?? p.valueInteger ?? p.valueBoolean ?? p.valueDateTime ?? p.valueDecimal ?? ''));
  }
}
