// Golden tests: aggregation queries as SQL (storage/sqlite/aggregate.ts), pure, no database.
import { compileAggregate } from '../../../src/storage/sqlite/aggregate';

it('counts distinct resources per (system, code) from the index alone when nothing restricts the matches', () => {
  const q = compileAggregate({ resourceTypes: ['Patient'], where: [], groupBy: { param: '_tag', kind: 'token' }, limit: 10 });
  expect(q.groups.sql).toBe(
    'SELECT x.s AS g0, x.c AS g1, count(DISTINCT x.k >> 20) AS n FROM idx_token x WHERE x.p IN (SELECT pid FROM search_param WHERE code = ? AND type IN (?)) AND x.c IS NOT NULL' +
      ' GROUP BY g0, g1 ORDER BY n DESC, g0, g1 LIMIT ?',
  );
  expect(q.groups.params).toEqual(['_tag', 'Patient', 10]);
  expect(q.total).toEqual({ sql: "SELECT count(*) AS n FROM resources r WHERE r.deleted = 0 AND r.type IN (?)", params: ['Patient'] });
});

it('restricts the grouped rows to the matches of the predicates', () => {
  const q = compileAggregate({
    resourceTypes: [],
    where: [{ kind: 'token', param: 'gender', code: 'male' }],
    groupBy: { param: 'subject', kind: 'reference' },
  });
  expect(q.groups.sql).toBe(
    'SELECT x.t AS g0, x.i AS g1, x.u AS g2, count(DISTINCT x.k >> 20) AS n FROM idx_reference x WHERE x.p IN (SELECT pid FROM search_param WHERE code = ?)' +
      ' AND (x.i IS NOT NULL OR x.u IS NOT NULL) AND x.k >> 20 IN (SELECT r.rid FROM resources r WHERE r.deleted = 0 AND r.rid IN (SELECT k >> 20 FROM idx_token WHERE p IN (SELECT pid FROM search_param WHERE code = ?) AND c = ?))' +
      ' GROUP BY g0, g1, g2 ORDER BY n DESC, g0, g1, g2',
  );
  expect(q.groups.params).toEqual(['subject', 'gender', 'male']);
});
