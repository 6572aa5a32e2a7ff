// What search needs of terminology, for the token modifiers `:in`, `:not-in`, `:above` and
// `:below`: value sets expanded into `system|code` lists at planning time (so engines only ever see
// plain alternatives), and subsumption within a code system. Answered by the server's one
// TerminologyService, so search and validation agree on what a value set contains. External systems
// (LOINC, SNOMED CT) are not bundled: their hierarchies are reported as unknown instead of silently
// matching less.
import { ConformanceRegistry } from '../fhir/validator/registry';
import { TerminologyService } from '../terminology/service';

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

/** Largest expansion used as a list of alternatives; bigger ones would make unusable queries. */
const MAX_EXPANSION = 2000;

export class BundledTerminology implements Terminology {
  constructor(private readonly service: TerminologyService = new TerminologyService(new ConformanceRegistry())) {}

  expandValueSet(url: string): SystemCode[] | undefined {
    const codes = this.service.codesOf(url);
    if (!codes) return undefined;
    return codes
      .filter((c): c is SystemCode & typeof c => typeof c.system === 'string' && typeof c.code === 'string')
      .slice(0, MAX_EXPANSION)
      .map((c) => ({ system: c.system, code: c.code }));
  }

  subsumption(system: string, code: string, direction: 'above' | 'below'): string[] | undefined {
    const cs = this.service.codeSystem(system);
    if (!cs) return undefined;
    const related = direction === 'below' ? cs.descendants(code) : cs.ancestors(code);
    return [code, ...[...related].filter((c) => c !== code)];
  }
}
