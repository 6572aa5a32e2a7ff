// Search criteria that only restrict (export `_typeFilter`, measure population criteria): the query
// part of `Type?query` parsed strictly into the predicates of one type, refusing what would not
// restrict (includes, sorting). One place, so both features accept the same language.
import { parseSearchQuery } from '../search/parse-query';
import type { Predicate } from '../search/plan';
import type { SearchServices } from '../search/service';

/** The predicates of `query` (a URL query string, without `?`) over `type`, or `undefined` when the
 * query asks for more than a restriction (`_include`, `_revinclude`, `_sort`). Search errors (unknown
 * parameters, bad values) are thrown as the parser's 400s. */
export function restrictingPredicates(search: SearchServices, baseUrl: string, type: string, query: string): Predicate[] | undefined {
  const { plan } = parseSearchQuery(search.registry, [...new URLSearchParams(query)], {
    resourceTypes: [type],
    lenient: false,
    defaultCount: search.defaultCount,
    maxCount: search.maxCount,
    now: search.now(),
    baseUrl,
    terminology: search.terminology,
    systemLevel: false,
  });
  if (plan.include.length || plan.revinclude.length || plan.sort.length) return undefined;
  return plan.where;
}
