// ValueSet semantics over the known code systems: membership of one code (answered from the compose
// rules directly, so bindings to big value sets cost no expansion) and full expansion with text
// filter and paging. Answers are true/false, or undefined where the server cannot know (a system it
// does not hold, such as SNOMED CT or LOINC beyond what a value set enumerates).
import type { CodeSystemIndex, Designation, IndexedConcept } from './code-system';

export interface ValueSetResource {
  resourceType: 'ValueSet';
  url?: string;
  version?: string;
  name?: string;
  title?: string;
  status?: string;
  compose?: { inactive?: boolean; include?: ComposeRule[]; exclude?: ComposeRule[] };
  expansion?: { contains?: ExpansionContains[]; total?: number };
  [key: string]: unknown;
}

export interface ComposeRule {
  system?: string;
  version?: string;
  concept?: Array<{ code: string; display?: string; designation?: Designation[] }>;
  filter?: Array<{ property: string; op: string; value: string }>;
  valueSet?: string[];
}

export interface ExpansionContains {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
  abstract?: boolean;
  inactive?: boolean;
  designation?: Designation[];
  contains?: ExpansionContains[];
}

export interface TerminologySources {
  valueSet(ref: string): ValueSetResource | undefined;
  codeSystem(ref: string): CodeSystemIndex | undefined;
}

/** A code that could not be decided, and why (for messages). */
export class UnknownContent extends Error {}

const MAX_DEPTH = 20;

export class ValueSetLogic {
  constructor(private readonly sources: TerminologySources) {}

  /** Is `system|code` in the value set? undefined when the server cannot tell. */
  contains(vs: ValueSetResource, system: string | undefined, code: string, depth = 0): boolean | undefined {
    if (depth > MAX_DEPTH) return undefined;
    if (!vs.compose) {
      const flat = flatten(vs.expansion?.contains ?? []);
      if (!vs.expansion) return undefined;
      return flat.some((c) => c.code === code && (system === undefined || c.system === system));
    }
    let answer: boolean | undefined = false;
    for (const inc of vs.compose.include ?? []) {
      const r = this.ruleMatches(inc, system, code, depth);
      if (r === true) {
        answer = true;
        break;
      }
      if (r === undefined) answer = undefined;
    }
    if (answer !== true) return answer;
    for (const exc of vs.compose.exclude ?? []) {
      if (this.ruleMatches(exc, system, code, depth) === true) return false;
    }
    return true;
  }

  private ruleMatches(rule: ComposeRule, system: string | undefined, code: string, depth: number): boolean | undefined {
    let answer: boolean | undefined = true;
    if (rule.system) {
      if (system !== undefined && system !== rule.system) return false;
      answer = this.systemRuleMatches(rule, code);
      if (answer === false) return false;
    }
    for (const ref of rule.valueSet ?? []) {
      const vs = this.sources.valueSet(ref);
      const r = vs ? this.contains(vs, system ?? rule.system, code, depth + 1) : undefined;
      if (r === false) return false;
      if (r === undefined) answer = undefined;
    }
    return answer;
  }

  private systemRuleMatches(rule: ComposeRule, code: string): boolean | undefined {
    const cs = this.sources.codeSystem(rule.version ? `${rule.system}|${rule.version}` : rule.system!);
    if (rule.concept) {
      if (rule.concept.some((c) => c.code === code)) return true;
      // A case-insensitive code system accepts other casings of the listed codes.
      if (cs && cs.resource.caseSensitive === false) return rule.concept.some((c) => c.code.toLowerCase() === code.toLowerCase());
      return false;
    }
    if (!cs) return undefined;
    const concept = cs.get(code);
    if (!concept) return cs.complete ? false : undefined;
    for (const f of rule.filter ?? []) {
      const r = filterMatches(cs, concept, f);
      if (r !== true) return r;
    }
    return true;
  }

  /**
   * All codes of a value set, in definition order, flat. Throws UnknownContent when the value set
   * draws on a code system the server does not hold in full.
   */
  expandAll(vs: ValueSetResource, depth = 0): ExpansionContains[] {
    if (depth > MAX_DEPTH) throw new UnknownContent(`value set imports nest deeper than ${MAX_DEPTH}`);
    if (!vs.compose) {
      if (vs.expansion?.contains) return flatten(vs.expansion.contains);
      throw new UnknownContent(`ValueSet ${vs.url ?? ''} has neither a compose nor an expansion`);
    }
    const out: ExpansionContains[] = [];
    const seen = new Set<string>();
    const push = (c: ExpansionContains) => {
      const key = `${c.system}|${c.code}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(c);
      }
    };
    for (const inc of vs.compose.include ?? []) for (const c of this.ruleCodes(inc, depth)) push(c);
    const excluded = new Set<string>();
    for (const exc of vs.compose.exclude ?? []) for (const c of this.ruleCodes(exc, depth)) excluded.add(`${c.system}|${c.code}`);
    const inactiveAllowed = vs.compose.inactive !== false;
    return out.filter((c) => !excluded.has(`${c.system}|${c.code}`) && (inactiveAllowed || !c.inactive));
  }

  private ruleCodes(rule: ComposeRule, depth: number): ExpansionContains[] {
    let codes: ExpansionContains[] | undefined;
    if (rule.system) {
      const system = rule.system;
      const cs = this.sources.codeSystem(rule.version ? `${system}|${rule.version}` : system);
      if (rule.concept) {
        codes = rule.concept.map((c) => {
          const known = cs?.get(c.code);
          return entry(system, cs?.resource.version, known, c.code, c.display ?? known?.display, c.designation ?? known?.designation);
        });
      } else {
        if (!cs) throw new UnknownContent(`the code system ${system} is not known to this server`);
        if (!cs.complete) throw new UnknownContent(`the code system ${system} is only a ${cs.resource.content ?? 'partial'} copy on this server`);
        codes = [];
        for (const code of cs.order) {
          const concept = cs.get(code)!;
          let ok = true;
          for (const f of rule.filter ?? []) {
            const r = filterMatches(cs, concept, f);
            if (r === undefined) throw new UnknownContent(`the filter ${f.property} ${f.op} ${f.value} is not supported`);
            if (!r) {
              ok = false;
              break;
            }
          }
          if (ok) codes.push(entry(system, cs.resource.version, concept, code, concept.display, concept.designation));
        }
      }
    }
    for (const ref of rule.valueSet ?? []) {
      const vs = this.sources.valueSet(ref);
      if (!vs) throw new UnknownContent(`the value set ${ref} is not known to this server`);
      const more = this.expandAll(vs, depth + 1);
      if (!codes) codes = more;
      else {
        const keep = new Set(more.map((c) => `${c.system}|${c.code}`));
        codes = codes.filter((c) => keep.has(`${c.system}|${c.code}`));
      }
    }
    return codes ?? [];
  }
}

function entry(system: string, version: string | undefined, concept: IndexedConcept | undefined, code: string, display?: string, designation?: Designation[]): ExpansionContains {
  const e: ExpansionContains = { system, code };
  if (version) e.version = version;
  if (display) e.display = display;
  if (concept?.abstract) e.abstract = true;
  if (concept?.inactive) e.inactive = true;
  if (designation?.length) e.designation = designation;
  return e;
}

export function flatten(list: ExpansionContains[]): ExpansionContains[] {
  const out: ExpansionContains[] = [];
  const walk = (l: ExpansionContains[]) => {
    for (const c of l) {
      if (c.code) {
        const { contains: _c, ...rest } = c;
        out.push(rest);
      }
      if (c.contains) walk(c.contains);
    }
  };
  walk(list);
  return out;
}

/** One compose filter on one concept; undefined for operators this server does not implement. */
export function filterMatches(cs: CodeSystemIndex, concept: IndexedConcept, f: { property: string; op: string; value: string }): boolean | undefined {
  const hierarchy = f.property === 'concept' || f.property === 'code' || f.property === 'parent' || f.property === 'child';
  switch (f.op) {
    case 'is-a':
      return hierarchy ? cs.subsumes(f.value, concept.code) : undefined;
    case 'descendent-of':
      return hierarchy ? cs.ancestors(concept.code).has(f.value) : undefined;
    case 'is-not-a':
      return hierarchy ? !cs.subsumes(f.value, concept.code) : undefined;
    case 'generalizes':
      return hierarchy ? cs.subsumes(concept.code, f.value) : undefined;
    case '=':
      return cs.propertyValues(concept, f.property).includes(f.value);
    case 'in':
      return cs.propertyValues(concept, f.property).some((v) => f.value.split(',').map((s) => s.trim()).includes(v));
    case 'not-in':
      return !cs.propertyValues(concept, f.property).some((v) => f.value.split(',').map((s) => s.trim()).includes(v));
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${f.value})$`, 'u');
      } catch {
        return undefined;
      }
      return cs.propertyValues(concept, f.property === 'concept' ? 'code' : f.property).some((v) => re.test(v));
    }
    case 'exists': {
      const present = cs.propertyValues(concept, f.property).length > 0;
      return f.value === 'false' ? !present : present;
    }
    default:
      return undefined;
  }
}
