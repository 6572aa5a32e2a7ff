// "Latest N per group" from the engine's own aggregation and search, for engines without a
// single-statement form (the MongoDB engine: FerretDB 1.x lacks `$push`, `$topN`, `$first` and
// `$setWindowFields`, see docs/analytics.md). The groups are counted in the database (aggregate:
// the reference targets, then the codes of each target's matches), and each group's most recent
// resources are one indexed, sorted, limited search. One query per (target, code) pair that
// exists: a patient's $lastn costs one per code; a population-wide one grows with the patients.
import type { Predicate, SearchPlan, SortKey } from '../search/plan';
import type { AggregateQuery, AggregateResult, LatestQuery, ResourceVersion } from './engine';
import type { SearchResult } from '../search/plan';

export interface LatestReader {
  aggregate(query: AggregateQuery): Promise<AggregateResult>;
  search(plan: SearchPlan): Promise<SearchResult>;
}

export async function latestBySearch(reader: LatestReader, query: LatestQuery): Promise<ResourceVersion[]> {
  const types = [query.resourceType];
  const owners: Predicate[][] = [[]];
  if (query.perReference) {
    const targets = await reader.aggregate({ resourceTypes: types, where: query.where, groupBy: { param: query.perReference, kind: 'reference' } });
    owners.length = 0;
    for (const g of targets.groups) {
      if (g.key.type && g.key.id) owners.push([{ kind: 'reference', param: query.perReference, type: g.key.type, id: g.key.id }]);
    }
  }
  const sort: SortKey[] = [
    { param: query.orderBy, descending: true },
    { param: '_id', descending: true },
  ];
  const found = new Map<string, ResourceVersion>();
  for (const owner of owners) {
    const where = [...query.where, ...owner];
    const codes = await reader.aggregate({ resourceTypes: types, where, groupBy: { param: query.groupBy, kind: 'token' } });
    for (const g of codes.groups) {
      const code: Predicate = { kind: 'token', param: query.groupBy, system: g.key.system ?? null, code: g.key.code! };
      const page = await reader.search({ resourceTypes: types, where: [...where, code], sort, count: query.max, total: 'none', include: [], revinclude: [] });
      for (const v of page.matches) found.set(v.id, v);
    }
  }
  return [...found.values()];
}
