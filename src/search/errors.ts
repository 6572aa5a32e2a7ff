// Search-specific entries of the error catalogue, built on the one FhirError type. Every problem in
// a client's query becomes an Issue naming the parameter, so that strict mode can answer one 400
// listing all of them and lenient mode can report the same issues as warnings.
import { FhirError, type Issue } from '../fhir/errors';

export type SearchIssueCode = 'UNKNOWN_PARAM' | 'UNSUPPORTED_PARAM' | 'UNKNOWN_MODIFIER' | 'INVALID_VALUE';

/** One problem with one query parameter. */
export interface SearchProblem {
  code: SearchIssueCode;
  /** The parameter as the client wrote it (name with modifier/chain). */
  param: string;
  text: string;
}

export const searchProblems = {
  unknownParam: (param: string, type: string): SearchProblem => ({
    code: 'UNKNOWN_PARAM',
    param,
    text: `Unknown search parameter '${param}' for ${type || 'system search'}`,
  }),
  unsupportedParam: (param: string, why: string): SearchProblem => ({ code: 'UNSUPPORTED_PARAM', param, text: `Search parameter '${param}' is not supported: ${why}` }),
  unknownModifier: (param: string, modifier: string, type: string): SearchProblem => ({
    code: 'UNKNOWN_MODIFIER',
    param,
    text: `Modifier ':${modifier}' is not allowed on '${param}' (a ${type} parameter)`,
  }),
  invalidValue: (param: string, value: string, why: string): SearchProblem => ({
    code: 'INVALID_VALUE',
    param,
    text: `Invalid value '${value.slice(0, 200)}' for search parameter '${param}': ${why}`,
  }),
};

/** Thrown inside the planner to abandon one parameter; collected into the list of problems. */
export class SearchProblemError extends Error {
  constructor(readonly problem: SearchProblem) {
    super(problem.text);
  }
}

export function problemIssue(p: SearchProblem, severity: Issue['severity'] = 'error'): Issue {
  const code = p.code === 'INVALID_VALUE' ? 'invalid' : 'not-supported';
  return { severity, code, diagnostics: p.text, expression: [p.param] };
}

/** Strict handling: one 400 naming every problem. */
export function searchRejected(problems: SearchProblem[]): FhirError {
  return new FhirError(400, problems.every((p) => p.code === 'INVALID_VALUE') ? 'INVALID_SEARCH_VALUE' : 'UNSUPPORTED_SEARCH', problems.map((p) => problemIssue(p)));
}

export const searchErrors = {
  badCursor: () => new FhirError(400, 'BAD_CURSOR', [{ severity: 'error', code: 'invalid', diagnostics: 'The _cursor value is not one this server issued (or the query changed); start again from the first page' }]),
  notInCompartment: (compartment: string, type: string) =>
    new FhirError(400, 'NOT_IN_COMPARTMENT', [{ severity: 'error', code: 'not-supported', diagnostics: `${type} is not a member of the ${compartment} compartment` }]),
  unknownCompartment: (compartment: string) =>
    new FhirError(404, 'UNKNOWN_COMPARTMENT', [{ severity: 'error', code: 'not-found', diagnostics: `There is no ${compartment} compartment (R4 defines Patient, Encounter, Practitioner, RelatedPerson, Device)` }]),
};
