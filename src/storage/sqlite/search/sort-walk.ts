// Runs a SortWalk (compile.ts): reads index rows in sort order, checks the resources they name
// against the plan in batches, and stops once a page is full. Gives up (undefined) when the walk
// finds too few matches for what it read (a narrow match: sorting the matches is cheaper) or runs
// out of index rows (resources without the sort value come next; the page query orders those).
import type Database from 'better-sqlite3';
import type { WorkBudget } from '../../engine';
import type { SortWalk } from './compile';
import { prepared } from '../statement-cache';

/** Resources read from the index before giving up on a page; a broad match fills a page long
 * before this. The walk also gives up early when the share of matches seen so far says the page
 * would not fill within the budget (a narrow match: its few rows are cheaper to sort). */
const WALK_BUDGET = 4096;
/** Candidates checked against the plan per query. */
const BATCH = 128;

interface Candidate {
  rid: number;
  v: string | number;
}

/** Up to `want` page rows in sort order, or undefined when the page query should run instead.
 * One read transaction: every statement of the walk sees the same snapshot, as the single page
 * query would (a resource re-keyed by a concurrent write is neither lost nor seen twice). */
export function runSortWalk<R extends { rid: number; k0?: unknown }>(db: Database.Database, walk: SortWalk, want: number, budget?: WorkBudget): R[] | undefined {
  return db.transaction(() => walkPage<R>(db, walk, want, budget))();
}

function walkPage<R extends { rid: number; k0?: unknown }>(db: Database.Database, walk: SortWalk, want: number, budget?: WorkBudget): R[] | undefined {
  const read = prepared(db, walk.walk.sql);
  const check = prepared(db, walk.candidates.sql);
  const seen = new Set<number>();
  const out: R[] = [];
  let batch: Candidate[] = [];
  let checked = 0;
  // Resources that first appear at the same value are ordered by rid (the page query's tie-breaker).
  let tie: Candidate[] = [];

  const flush = () => {
    if (!batch.length) return;
    budget?.check();
    const params = [...walk.candidates.params];
    params[walk.candidates.slot] = JSON.stringify(batch.map((c) => c.rid));
    checked += batch.length;
    const found = new Map((check.all(...params) as R[]).map((r) => [r.rid, r]));
    for (const c of batch) {
      const row = found.get(c.rid);
      // First appearance in index order is the key only if nothing smaller (larger) exists.
      if (row && row.k0 === c.v && out.length < want) out.push(row);
    }
    batch = [];
  };
  const closeTie = () => {
    tie.sort((a, b) => a.rid - b.rid);
    batch.push(...tie);
    tie = [];
    if (batch.length >= BATCH) flush();
  };

  let offset = 0;
  for (let chunk = 256; offset < WALK_BUDGET && out.length < want; chunk *= 2) {
    budget?.check();
    const rows = read.all(...walk.walk.params, chunk, offset) as Candidate[];
    offset += rows.length;
    for (const r of rows) {
      if (seen.has(r.rid)) continue;
      seen.add(r.rid);
      if (tie.length && tie[0].v !== r.v) closeTie();
      if (out.length >= want) break;
      if (seen.size > WALK_BUDGET || (checked >= BATCH && (want - out.length) * checked > out.length * (WALK_BUDGET - seen.size))) return undefined;
      tie.push(r);
    }
    if (rows.length < chunk) {
      // Index exhausted: what is found is complete only if it fills the page.
      closeTie();
      flush();
      return out.length >= want ? out : undefined;
    }
  }
  // Budget spent: the open tie group may continue past what was read, so only whole groups count.
  flush();
  return out.length >= want ? out : undefined;
}
