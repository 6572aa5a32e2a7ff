// Prepared statements of the search and analytics SQL, kept per connection. The SQL of a search is
// built from its plan (parameters bound, never inlined), so the same kinds of query repeat with the
// same text; preparing it each time cost about a quarter of a short search (SQLite parses and plans
// the statement anew). Least recently used statements are dropped past a bound, since clients can
// make the SQL text vary without limit (any combination of parameters and modifiers).
import type Database from 'better-sqlite3';

/** Statements kept per connection. */
const MAX_STATEMENTS = 500;

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * The connection's prepared statement for `sql`, prepared on first use. Only for statements run to
 * completion with `.get()`/`.all()`/`.run()`: a statement being iterated cannot be run again until
 * its iteration ends, so nested use of one cached statement would fail.
 */
export function prepared<P extends unknown[] = unknown[], R = unknown>(db: Database.Database, sql: string): Database.Statement<P, R> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let statement = cache.get(sql);
  if (statement) {
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
    cache.delete(sql);
  } else {
    statement = db.prepare(sql);
    if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!);
  }
  cache.set(sql, statement);
  return statement as unknown as Database.Statement<P, R>;
}
