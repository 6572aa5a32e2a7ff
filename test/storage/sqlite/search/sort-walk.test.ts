// The sort-index walk (compile.ts compileSortWalk, sort-walk.ts) must return exactly the pages the
// page query returns: same order (min ascending / max descending, ties by rid), same cursors, and
// it must step aside for shapes it cannot answer (missing values at the end, narrow matches).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Resource } from '@medplum/fhirtypes';
import { migrate } from '../../../../src/storage/sqlite/migrations';
import { SqliteSearchIndex } from '../../../../src/storage/sqlite/search/execute';
import { compileSearch, compileSortWalk } from '../../../../src/storage/sqlite/search/compile';
import { runSortWalk } from '../../../../src/storage/sqlite/search/sort-walk';
import { parse, searchKit } from '../../../search/support';

const CODES = ['a', 'b', 'c', 'd', 'e'];

function observation(i: number): Resource {
  const r: Record<string, unknown> = {
    resourceType: 'Observation',
    id: `o${i}`,
    status: i % 3 ? 'final' : 'amended',
    // Several codings: the sort key is the min (asc) / max (desc) code, and codes repeat (ties).
    code: { coding: [{ system: 'http://x', code: CODES[i % 5] }, { system: 'http://y', code: CODES[(i * 7) % 5] }] },
  };
  // Every 10th has no date (missing last); others a period spanning several days, so min lo and
  // max hi come from different rows of the resource.
  if (i % 10) r.effectivePeriod = { start: `2020-01-${String(1 + (i % 20)).padStart(2, '0')}`, end: `2020-02-${String(1 + ((i * 3) % 20)).padStart(2, '0')}` };
  return r as Resource;
}

describe('sort-index walk', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-walk-'));
  const db = new Database(path.join(dir, 'db.sqlite'));
  migrate(db);
  const index = new SqliteSearchIndex(db);
  const insert = db.prepare("INSERT INTO resources (type, id, version, last_updated, deleted, json) VALUES ('Observation', ?, 1, '2025-01-01T00:00:00.000Z', 0, '{}')");
  db.transaction(() => {
    for (let i = 0; i < 300; i++) {
      const r = observation(i);
      index.replace(Number(insert.run(r.id).lastInsertRowid), searchKit().indexer(r), true, 'Observation');
    }
  })();
  afterAll(() => db.close());

  /** All pages through the index's search (walk when it applies) vs the page query alone. */
  function pages(qs: string): { walked: string[]; plain: string[] } {
    const walked: string[] = [];
    let cursor: string | undefined;
    do {
      const plan = { ...parse('Observation', qs).plan, ...(cursor ? { cursor } : {}) };
      const result = index.search(plan);
      walked.push(...result.matches.map((m) => m.id));
      cursor = result.nextCursor;
    } while (cursor);
    const plan = parse('Observation', qs.replace(/_count=\d+/, '_count=1000')).plan;
    const kinds = (index as unknown as { sortKinds(p: typeof plan): Record<string, readonly string[]> }).sortKinds(plan);
    const page = compileSearch(plan, {}, kinds as never).page;
    const plain = (db.prepare(page.sql).all(...page.params) as { id: string }[]).map((r) => r.id);
    return { walked, plain };
  }

  it.each(['_sort=date', '_sort=-date', '_sort=code', '_sort=-code', 'status=final&_sort=-date', 'code=c&_sort=date'])('%s: same pages as the page query', (q) => {
    const { walked, plain } = pages(`${q}&_count=7&_total=none`);
    expect(walked).toEqual(plain);
    expect(plain.length).toBeGreaterThan(0);
  });

  it('applies to a broad single-key sort and not to several keys', () => {
    const kinds = { date: ['date' as const], code: ['token' as const] };
    expect(compileSortWalk(parse('Observation', '_sort=-date').plan, kinds)).toBeDefined();
    expect(compileSortWalk(parse('Observation', '_sort=date,code').plan, kinds)).toBeUndefined();
    expect(compileSortWalk(parse('Observation', '_sort=_lastUpdated').plan, kinds)).toBeUndefined();
  });

  it('fills a first page from the index, and steps aside when the index runs out before the page is full', () => {
    const kinds = { date: ['date' as const] };
    const first = runSortWalk<{ id: string }>(db, compileSortWalk(parse('Observation', '_sort=-date').plan, kinds)!, 8);
    expect(first?.map((r) => r.id)).toEqual(pages('_sort=-date&_count=1000&_total=none').plain.slice(0, 8));
    // 270 resources have a date: a page of 300 needs the missing-date ones, which the index lacks.
    expect(runSortWalk(db, compileSortWalk(parse('Observation', '_sort=-date').plan, kinds)!, 300)).toBeUndefined();
  });
});
