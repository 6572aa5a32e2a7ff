// The terminology service: $lookup, $validate-code, $subsumes, $expand and $translate as plain
// functions over the code systems, value sets and concept maps of a ConformanceRegistry (R4's own,
// and any added by packages or clients). The REST layer exposes them as operations; the validator
// and search (`:in`, `:not-in`, `:above`, `:below`) call them directly.
import { FhirError, errors } from '../fhir/errors';
import type { ConformanceRegistry } from '../fhir/validator/registry';
import { CodeSystemIndex, type CodeSystemResource, type Designation } from './code-system';
import { translate, type ConceptMapResource, type TranslateRequest, type TranslateResult } from './concept-map';
import { UnknownContent, ValueSetLogic, type ExpansionContains, type ValueSetResource } from './value-set';

export interface Coding {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
}

export interface LookupResult {
  name: string;
  version?: string;
  display?: string;
  definition?: string;
  abstract: boolean;
  inactive: boolean;
  designation: Designation[];
  property: Array<{ code: string; value: unknown }>;
}

export interface ValidateCodeRequest {
  /** Canonical of the value set; absent: validate against the code system alone. */
  url?: string;
  valueSet?: ValueSetResource;
  system?: string;
  code?: string;
  display?: string;
  coding?: Coding;
  codeableConcept?: { coding?: Coding[]; text?: string };
}

export interface ValidateCodeResult {
  /** true/false; undefined when the server cannot decide (unknown system or value set). */
  result: boolean | undefined;
  message?: string;
  display?: string;
  /** The coding that was found valid (for CodeableConcepts). */
  coding?: Coding;
}

export interface ExpandRequest {
  url?: string;
  valueSet?: ValueSetResource;
  filter?: string;
  count?: number;
  offset?: number;
  includeDesignations?: boolean;
  activeOnly?: boolean;
  /** false (default) keeps a code system's hierarchy as nested `contains` when nothing is paged. */
  excludeNested?: boolean;
  now?: Date;
}

export type SubsumesOutcome = 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed';

/** Expansions larger than this are refused rather than built (an unbounded response). */
export const MAX_EXPANSION = 10000;

export class TerminologyService {
  private readonly codeSystems = new Map<string, CodeSystemIndex | null>();
  private generation = -1;
  private readonly logic: ValueSetLogic;

  constructor(private readonly registry: ConformanceRegistry) {
    this.logic = new ValueSetLogic({ valueSet: (ref) => this.valueSet(ref), codeSystem: (ref) => this.codeSystem(ref) });
  }

  // ---- sources -----------------------------------------------------------------------------

  codeSystem(ref: string): CodeSystemIndex | undefined {
    this.sync();
    let hit = this.codeSystems.get(ref);
    if (hit === undefined) {
      const cs = this.registry.resolve('CodeSystem', ref) as unknown as CodeSystemResource | undefined;
      hit = cs ? new CodeSystemIndex(cs as CodeSystemResource) : null;
      this.codeSystems.set(ref, hit);
    }
    return hit ?? undefined;
  }

  /** A value set by canonical; a code system's url stands for its implicit all-codes value set. */
  valueSet(ref: string): ValueSetResource | undefined {
    this.sync();
    let hit = this.valueSets.get(ref);
    if (hit === undefined) this.valueSets.set(ref, (hit = this.findValueSet(ref) ?? null));
    return hit ?? undefined;
  }

  private readonly valueSets = new Map<string, ValueSetResource | null>();

  private findValueSet(ref: string): ValueSetResource | undefined {
    const vs = this.registry.resolve<ValueSetResource & { resourceType: string }>('ValueSet', ref);
    if (vs) return vs as ValueSetResource;
    const cs = this.codeSystem(ref) ?? this.codeSystemByValueSet(ref);
    if (!cs) return undefined;
    return { resourceType: 'ValueSet', url: ref, compose: { include: [{ system: cs.url }] } };
  }

  private codeSystemByValueSet(ref: string): CodeSystemIndex | undefined {
    // R4 core value sets named after their code system: http://hl7.org/fhir/ValueSet/x ↔ http://hl7.org/fhir/x
    const m = /^http:\/\/hl7\.org\/fhir\/ValueSet\/(.+)$/.exec(ref.split('|')[0]);
    return m ? this.codeSystem(`http://hl7.org/fhir/${m[1]}`) : undefined;
  }

  private sync(): void {
    if (this.generation !== this.registry.generation) {
      this.codeSystems.clear();
      this.valueSets.clear();
      this.generation = this.registry.generation;
    }
  }

  // ---- CodeSystem/$lookup ------------------------------------------------------------------

  lookup(req: { system: string; code: string; version?: string }): LookupResult {
    const cs = this.codeSystem(req.version ? `${req.system}|${req.version}` : req.system);
    if (!cs) throw errors.notFound('CodeSystem', req.system);
    const c = cs.get(req.code);
    if (!c && !cs.complete) {
      throw new FhirError(404, 'CODE_SYSTEM_CONTENT_MISSING', [
        { severity: 'error', code: 'not-found', diagnostics: `The content of the code system ${req.system} is not known to this server (it holds a ${cs.resource.content ?? 'partial'} copy)` },
      ]);
    }
    if (!c) throw new FhirError(404, 'CODE_NOT_FOUND', [{ severity: 'error', code: 'not-found', diagnostics: `Code '${req.code}' is not in the code system ${req.system}` }]);
    return {
      name: cs.resource.name ?? cs.resource.title ?? cs.url,
      version: cs.resource.version,
      display: c.display,
      definition: c.definition,
      abstract: c.abstract,
      inactive: c.inactive,
      designation: c.designation,
      property: [
        ...c.parents.map((p) => ({ code: 'parent', value: p })),
        ...c.children.map((p) => ({ code: 'child', value: p })),
        ...c.property.map((p) => ({ code: p.code, value: p.valueCode ?? p.valueCoding ?? p.valueString ?? p.valueInteger ?? p.valueBoolean ?? p.valueDateTime ?? p.valueDecimal })),
      ],
    };
  }

  // ---- CodeSystem/$subsumes ----------------------------------------------------------------

  subsumes(req: { system: string; codeA: string; codeB: string; version?: string }): SubsumesOutcome {
    const cs = this.codeSystem(req.version ? `${req.system}|${req.version}` : req.system);
    if (!cs) throw errors.notFound('CodeSystem', req.system);
    for (const code of [req.codeA, req.codeB]) {
      if (!cs.get(code)) throw errors.badRequest(`Code '${code}' is not in the code system ${req.system}`);
    }
    const a = cs.get(req.codeA)!.code;
    const b = cs.get(req.codeB)!.code;
    if (a === b) return 'equivalent';
    if (cs.subsumes(a, b)) return 'subsumes';
    if (cs.subsumes(b, a)) return 'subsumed-by';
    return 'not-subsumed';
  }

  // ---- $validate-code ------------------------------------------------------------------------

  validateCode(req: ValidateCodeRequest): ValidateCodeResult {
    const codings: Coding[] = req.codeableConcept ? (req.codeableConcept.coding ?? []) : req.coding ? [req.coding] : [{ system: req.system, code: req.code, display: req.display }];
    if (!codings.length || codings.every((c) => !c.code)) return { result: false, message: 'No code was given' };
    const vs = req.valueSet ?? (req.url ? this.valueSet(req.url) : undefined);
    if (req.url && !vs) return { result: undefined, message: `The value set ${req.url} is not known to this server` };
    let undecided: string | undefined;
    const failures: string[] = [];
    for (const coding of codings) {
      if (!coding.code) continue;
      const r = this.validateCoding(coding, vs);
      if (r.result === true) return r;
      if (r.result === undefined) undecided = r.message;
      else if (r.message) failures.push(r.message);
    }
    if (undecided && !failures.length) return { result: undefined, message: undecided };
    return { result: false, message: failures.join('; ') || undecided };
  }

  private validateCoding(coding: Coding, vs: ValueSetResource | undefined): ValidateCodeResult {
    const code = coding.code!;
    const cs = coding.system ? this.codeSystem(coding.version ? `${coding.system}|${coding.version}` : coding.system) : undefined;
    const concept = cs?.get(code);
    if (cs && !concept && cs.complete) {
      return { result: false, message: `Unknown code '${code}' in the code system ${coding.system}` };
    }
    if (vs) {
      const inVs = this.logic.contains(vs, coding.system, code);
      if (inVs === false) {
        return { result: false, message: `The code ${coding.system ?? ''}|${code} is not in the value set ${vs.url ?? ''}` };
      }
      if (inVs === undefined) return { result: undefined, message: `Cannot check ${coding.system ?? ''}|${code} against the value set ${vs.url ?? ''}: its content is not available on this server` };
    } else if (!cs) {
      return { result: undefined, message: `The code system ${coding.system ?? '(none)'} is not known to this server` };
    }
    const display = concept?.display;
    if (coding.display && concept && !displayMatches(coding.display, concept.display, concept.designation)) {
      return { result: true, display, coding, message: `The display '${coding.display}' is not the display of ${coding.system}|${code} ('${display ?? ''}')` };
    }
    return { result: true, display, coding };
  }

  /** Membership only (no display checks), for bindings and search. */
  inValueSet(url: string, system: string | undefined, code: string): boolean | undefined {
    const vs = this.valueSet(url);
    return vs ? this.logic.contains(vs, system, code) : undefined;
  }

  // ---- ValueSet/$expand ----------------------------------------------------------------------

  expand(req: ExpandRequest): ValueSetResource {
    const vs = req.valueSet ?? (req.url ? this.valueSet(req.url) : undefined);
    if (!vs) throw errors.notFound('ValueSet', req.url ?? '(none given)');
    let codes: ExpansionContains[];
    try {
      codes = this.logic.expandAll(vs);
    } catch (e) {
      if (e instanceof UnknownContent) throw new FhirError(422, 'CANNOT_EXPAND', [{ severity: 'error', code: 'not-supported', diagnostics: `Cannot expand ${vs.url ?? 'the value set'}: ${e.message}` }]);
      throw e;
    }
    if (req.activeOnly) codes = codes.filter((c) => !c.inactive);
    if (req.filter) {
      const words = req.filter.toLowerCase().split(/\s+/).filter(Boolean);
      codes = codes.filter((c) => {
        const text = `${c.code ?? ''} ${c.display ?? ''}`.toLowerCase();
        return words.every((w) => text.includes(w));
      });
    }
    if (codes.length > MAX_EXPANSION && req.count === undefined) {
      throw new FhirError(422, 'EXPANSION_TOO_LARGE', [{ severity: 'error', code: 'too-costly', diagnostics: `The expansion has ${codes.length} codes; page it with count and offset (at most ${MAX_EXPANSION})` }]);
    }
    const total = codes.length;
    const offset = req.offset ?? 0;
    const paged = req.count !== undefined || offset > 0;
    let page = paged ? codes.slice(offset, offset + (req.count ?? MAX_EXPANSION)) : codes;
    if (!req.includeDesignations) page = page.map(({ designation: _d, ...rest }) => rest);
    const contains = !paged && !req.filter && req.excludeNested !== true ? this.nest(page) : page;
    const parameter: Array<Record<string, unknown>> = [];
    if (req.filter) parameter.push({ name: 'filter', valueString: req.filter });
    if (req.count !== undefined) parameter.push({ name: 'count', valueInteger: req.count });
    if (offset) parameter.push({ name: 'offset', valueInteger: offset });
    if (req.includeDesignations) parameter.push({ name: 'includeDesignations', valueBoolean: true });
    if (req.activeOnly) parameter.push({ name: 'activeOnly', valueBoolean: true });
    const { expansion: _old, ...rest } = vs as ValueSetResource & { expansion?: unknown };
    return {
      ...rest,
      expansion: {
        identifier: `urn:uuid:${cryptoRandomUuid()}`,
        timestamp: (req.now ?? new Date()).toISOString(),
        total,
        ...(offset ? { offset } : {}),
        ...(parameter.length ? { parameter } : {}),
        ...(contains.length ? { contains } : {}),
      },
    } as ValueSetResource;
  }

  /** Re-nests a flat expansion along the is-a hierarchy of its code systems. */
  private nest(flat: ExpansionContains[]): ExpansionContains[] {
    const byKey = new Map(flat.map((c) => [`${c.system}|${c.code}`, { ...c } as ExpansionContains]));
    const roots: ExpansionContains[] = [];
    for (const c of flat) {
      const node = byKey.get(`${c.system}|${c.code}`)!;
      const cs = c.system ? this.codeSystem(c.system) : undefined;
      const parent = cs?.get(c.code!)?.parents.map((p) => byKey.get(`${c.system}|${p}`)).find((p) => p && p !== node);
      if (parent) (parent.contains ??= []).push(node);
      else roots.push(node);
    }
    return roots;
  }

  /** All codes of a value set, flat; undefined when it cannot be expanded here. */
  codesOf(url: string): ExpansionContains[] | undefined {
    const vs = this.valueSet(url);
    if (!vs) return undefined;
    try {
      return this.logic.expandAll(vs);
    } catch (e) {
      if (e instanceof UnknownContent) return undefined;
      throw e;
    }
  }

  // ---- ConceptMap/$translate -----------------------------------------------------------------

  translate(req: TranslateRequest & { url?: string; conceptMap?: ConceptMapResource }): TranslateResult {
    const maps: ConceptMapResource[] = req.conceptMap
      ? [req.conceptMap]
      : req.url
        ? [this.registry.resolve('ConceptMap', req.url) as unknown as ConceptMapResource | undefined].filter((m): m is ConceptMapResource => !!m)
        : (this.registry.allOfType('ConceptMap') as unknown as ConceptMapResource[]);
    if (req.url && !maps.length) throw errors.notFound('ConceptMap', req.url);
    return translate(maps, req);
  }
}

function displayMatches(given: string, display: string | undefined, designations: Designation[]): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
  const g = norm(given);
  return (display !== undefined && norm(display) === g) || designations.some((d) => norm(d.value) === g);
}

function cryptoRandomUuid(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:crypto') as typeof import('node:crypto')).randomUUID();
}
