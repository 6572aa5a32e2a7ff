// Population criteria in `text/fhirpath`: a per-resource rule that x-fhir-query cannot say (e.g.
// `Patient.name.where(use = 'official').given.count() > 1`, `Encounter.length.value > 3`). The
// expression is compiled with the R4 model when the Measure is stored (what does not compile
// answers 400 then); at evaluation it is applied to the CANDIDATES the database selects — the
// group's initial population within the subject/practitioner scope, or, for an initial
// population in FHIRPath, every basis resource in scope — read page by page from the engine.
// The members found become an id predicate, so every count, stratum and subject list after that
// is computed in the database as for any other population. A member is a resource for which the
// expression evaluates to `true` (a single boolean); empty or false is not a member; anything
// else answers 400 naming the criteria. %periodStart and %periodEnd are the period's bounds as
// strings (compare with `%periodStart.toDate()`). Bounded: at most MAX_RULE_CANDIDATES resources
// are judged in JavaScript and MAX_RULE_MEMBERS become the id list; beyond that the answer is 400
// asking to narrow the x-fhir-query criteria.
import fhirpath from 'fhirpath';
import * as r4Model from 'fhirpath/fhir-context/r4';
import type { DataAccess } from '../access/data-access';
import { errors } from '../fhir/errors';
import type { Predicate } from '../search/plan';

/** Most candidates one FHIRPath population judges (read and evaluated in JavaScript). */
export const MAX_RULE_CANDIDATES = 50_000;
/** Most members a FHIRPath population may have (they become one id list). */
export const MAX_RULE_MEMBERS = 10_000;

type Compiled = (resource: unknown, env?: Record<string, unknown>) => unknown[];

export interface PopulationRule {
  expression: string;
  /** Where the criteria sits in the Measure, for messages. */
  where: string;
  evaluate: Compiled;
}

/** Compiles a population's FHIRPath (400 naming the criteria when it does not compile). fhirpath.js
 * finds an unknown function only when it runs, so the rule is also run once on an empty resource
 * of the basis: what fails there would fail on every resource. */
export function compilePopulationRule(expression: string | undefined, where: string, basis: string, vars: Record<string, string>): PopulationRule {
  const text = (expression ?? '').trim();
  if (!text) throw errors.badRequest(`${where}: the criteria has no expression`);
  let evaluate: Compiled;
  try {
    evaluate = fhirpath.compile({ base: basis, expression: text } as unknown as string, r4Model as never, { traceFn: () => undefined } as never) as unknown as Compiled;
  } catch (e) {
    throw errors.badRequest(`${where}: '${text.slice(0, 200)}' is not a FHIRPath expression this server can compile: ${String((e as Error).message ?? e).slice(0, 200)}`);
  }
  try {
    evaluate({ resourceType: basis }, { ...vars });
  } catch (e) {
    throw errors.badRequest(`${where}: '${text.slice(0, 200)}' cannot be evaluated: ${String((e as Error).message ?? e).slice(0, 200)}`);
  }
  return { expression: text, where, evaluate };
}

/** The basis resources among `candidates` (predicates over the basis) for which the rule holds, as an id predicate. */
export async function applyPopulationRule(data: DataAccess, basis: string, candidates: Predicate[], rule: PopulationRule, vars: Record<string, string>, checkpoint: () => void): Promise<Predicate> {
  const ids: string[] = [];
  let judged = 0;
  let cursor: string | undefined;
  do {
    checkpoint();
    const page = await data.search({ resourceTypes: [basis], where: candidates, sort: [], count: 1000, ...(cursor ? { cursor } : {}), total: 'none', include: [], revinclude: [] });
    judged += page.matches.length;
    if (judged > MAX_RULE_CANDIDATES) throw errors.badRequest(`${rule.where}: the FHIRPath criteria would judge more than ${MAX_RULE_CANDIDATES} ${basis} resources; narrow the initial population with x-fhir-query criteria`);
    for (const v of page.matches) {
      if (!v.json) continue;
      let result: unknown[];
      try {
        result = rule.evaluate(JSON.parse(v.json), { ...vars });
      } catch (e) {
        throw errors.badRequest(`${rule.where}: '${rule.expression.slice(0, 200)}' failed on ${basis}/${v.id}: ${String((e as Error).message ?? e).slice(0, 200)}`);
      }
      if (result.length > 1 || (result.length === 1 && typeof result[0] !== 'boolean')) {
        throw errors.badRequest(`${rule.where}: '${rule.expression.slice(0, 200)}' must give one boolean per resource; on ${basis}/${v.id} it gave ${JSON.stringify(result).slice(0, 100)}`);
      }
      if (result[0] === true) ids.push(v.id);
    }
    if (ids.length > MAX_RULE_MEMBERS) throw errors.badRequest(`${rule.where}: the FHIRPath criteria selects more than ${MAX_RULE_MEMBERS} ${basis} resources; narrow the initial population with x-fhir-query criteria`);
    cursor = page.nextCursor;
  } while (cursor);
  return ids.length ? { kind: 'id', ids } : { kind: 'nothing', reason: `no ${basis} satisfies ${rule.where}` };
}
