// Golden plan→SQL tests: the exact SQL and bound parameters for representative plans. A change
// here is a change of query shape (and of which index SQLite can use): review it as such.
import { compileSearch } from '../../../../src/storage/sqlite/search/compile';
import { parse } from '../../../search/support';

const SELECT = 'SELECT r.rid, r.type, r.id, r.version, r.last_updated, r.json';
const MAX = '\u{10FFFF}';
/** Parameter ids of one code on the listed types (kind tables store pids, see schema.ts). */
const PIDS = 'p IN (SELECT pid FROM search_param WHERE code = ? AND type IN (?))';

function page(qs: string) {
  // Sort parameters' kind tables, as SqliteSearchIndex reads them from search_param.
  return compileSearch(parse('Observation', qs).plan, {}, { date: ['date'], status: ['token'] }).page;
}

describe('compileSearch (golden)', () => {
  it('token with system: one covering-index probe', () => {
    expect(page('code=http://loinc.org|1234')).toEqual({
      sql: `${SELECT} FROM resources r WHERE r.deleted = 0 AND r.type IN (?) AND r.rid IN (SELECT k >> 20 FROM idx_token WHERE ${PIDS} AND c = ? AND s = ?) ORDER BY r.rid LIMIT ?`,
      params: ['Observation', 'code', 'Observation', '1234', 'http://loinc.org', 101],
    });
  });

  it('chain joins the reference index to the target resource; sort by max descending', () => {
    expect(page('subject:Patient.name=eve&_sort=-date')).toEqual({
      sql:
        // The sort key is the max of the resource's own date rows: a seek into its key range.
        `${SELECT}, (SELECT max(hi) FROM idx_date NOT INDEXED WHERE k >= r.rid << 20 AND k < (r.rid + 1) << 20 AND ${PIDS}) AS k0 FROM resources r WHERE r.deleted = 0 AND r.type IN (?) AND ` +
        `r.rid IN (SELECT x1.k >> 20 FROM idx_reference x1 JOIN resources t2 ON t2.type = x1.t AND t2.id = x1.i WHERE x1.${PIDS} AND x1.t IN (?) AND t2.deleted = 0 AND ` +
        `t2.rid IN (SELECT k >> 20 FROM idx_string WHERE ${PIDS} AND v >= ? AND v < ?)) ORDER BY k0 IS NULL, k0 DESC, r.rid LIMIT ?`,
      // The chained predicate looks up `name` on the chain's target type.
      params: ['date', 'Observation', 'Observation', 'subject', 'Observation', 'Patient', 'name', 'Patient', 'eve', `eve${MAX}`, 101],
    });
  });

  it('ge on dates is "gt or eq"; _has selects (type, id) of referenced resources', () => {
    expect(page('date=ge2013-01-14&_has:Provenance:target:agent=Practitioner/1')).toEqual({
      sql:
        `${SELECT} FROM resources r WHERE r.deleted = 0 AND r.type IN (?) AND r.rid IN (SELECT k >> 20 FROM idx_date WHERE ${PIDS} AND (hi > ? OR (lo >= ? AND hi <= ? AND lo < ?))) AND ` +
        // The referrer's index rows are a key range of its rid: the join seeks them.
        '(r.type, r.id) IN (SELECT x1.t, x1.i FROM idx_reference x1 JOIN resources s2 ON x1.k >= s2.rid << 20 AND x1.k < (s2.rid + 1) << 20 ' +
        `WHERE x1.${PIDS} AND s2.type = ? AND s2.deleted = 0 AND s2.rid IN (SELECT k >> 20 FROM idx_reference WHERE ${PIDS} AND i = ? AND t = ?)) ORDER BY r.rid LIMIT ?`,
      params: ['Observation', 'date', 'Observation', 1358208000000, 1358121600000, 1358208000000, 1358208000000, 'target', 'Provenance', 'Provenance', 'agent', 'Provenance', '1', 'Practitioner', 101],
    });
  });

  it('an open date range next to a code is checked per candidate row; a closed range keeps its rid set', () => {
    const DATE_GE = '(hi > ? OR (lo >= ? AND hi <= ? AND lo < ?))';
    const CODE = `r.rid IN (SELECT k >> 20 FROM idx_token WHERE ${PIDS} AND c = ? AND s = ?)`;
    expect(page('code=http://loinc.org|1234&date=ge2024-01-01').sql).toBe(
      `${SELECT} FROM resources r WHERE r.deleted = 0 AND r.type IN (?) AND ${CODE} AND ` +
        `EXISTS (SELECT 1 FROM idx_date NOT INDEXED WHERE k >= r.rid << 20 AND k < (r.rid + 1) << 20 AND ${PIDS} AND ${DATE_GE}) ORDER BY r.rid LIMIT ?`,
    );
    expect(page('code=http://loinc.org|1234&date=2024-03-05').sql).toMatch(/AND r\.rid IN \(SELECT k >> 20 FROM idx_date WHERE /);
    // Alone, the open range is the only way in and stays a set.
    expect(page('date=ge2024-01-01').sql).toContain(`r.rid IN (SELECT k >> 20 FROM idx_date WHERE ${PIDS} AND ${DATE_GE})`);
  });

  it('composite components are compared inside one composite row', () => {
    expect(page('code-value-quantity=1234$gt5')).toEqual({
      sql: `${SELECT} FROM resources r WHERE r.deleted = 0 AND r.type IN (?) AND r.rid IN (SELECT k >> 20 FROM idx_composite WHERE ${PIDS} AND json_extract(c0, '$.c') = ? AND json_extract(c1, '$.hi') > ?) ORDER BY r.rid LIMIT ?`,
      params: ['Observation', 'code-value-quantity', 'Observation', '1234', 5.5, 101],
    });
  });

  it(':not is NOT over the resource, so resources without the element match', () => {
    expect(page('status:not=final&_count=10')).toEqual({
      sql: `${SELECT} FROM resources r WHERE r.deleted = 0 AND r.type IN (?) AND NOT r.rid IN (SELECT k >> 20 FROM idx_token WHERE ${PIDS} AND c = ?) ORDER BY r.rid LIMIT ?`,
      params: ['Observation', 'status', 'Observation', 'final', 11],
    });
  });

  it('keyset continuation after a position, missing sort values last', () => {
    const plan = parse('Observation', '_sort=status').plan;
    const c = compileSearch(plan, { after: { keys: ['final'], rid: 7 } }).page;
    expect(c.sql).toContain('AND (((k0 > ? OR k0 IS NULL)) OR (k0 = ? AND r.rid > ?)) ORDER BY k0 IS NULL, k0, r.rid LIMIT ?');
    expect(c.params.slice(-4)).toEqual(['final', 'final', 7, 101]);
    const back = compileSearch(plan, { before: { keys: [null], rid: 7 } }).page;
    expect(back.sql).toContain('AND ((k0 IS NOT NULL) OR (k0 IS NULL AND r.rid < ?)) ORDER BY k0 IS NULL DESC, k0 DESC, r.rid DESC LIMIT ?');
  });

  it('count of one leaf reads the index alone (rows exist only for live resources, pids carry the type)', () => {
    expect(compileSearch(parse('Observation', 'status=final').plan).count).toEqual({
      sql: `SELECT count(DISTINCT k >> 20) AS n FROM idx_token WHERE ${PIDS} AND c = ?`,
      params: ['status', 'Observation', 'final'],
    });
  });

  it('count of several predicates joins resources; _content words scan idx_text', () => {
    expect(compileSearch(parse('Observation', '_content=blood pressure').plan).count).toEqual({
      sql:
        'SELECT count(*) AS n FROM resources r WHERE r.deleted = 0 AND r.type IN (?) AND ' +
        '(r.rid IN (SELECT rid FROM idx_text WHERE instr(content, ?) > 0) AND r.rid IN (SELECT rid FROM idx_text WHERE instr(content, ?) > 0))',
      params: ['Observation', 'blood', 'pressure'],
    });
  });

  it(':missing on a kind table and on _text', () => {
    expect(page('date:missing=true&_text:missing=false').sql).toContain(
      `r.rid NOT IN (SELECT k >> 20 FROM idx_date WHERE ${PIDS}) AND r.rid IN (SELECT rid FROM idx_text WHERE narrative IS NOT NULL)`,
    );
  });
});
