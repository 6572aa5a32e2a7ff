// Numbers (type, search parameter code) pairs for the kind tables' `p` column (table
// search_param, see schema.ts). Ids are created inside the caller's write transaction, so an id
// is only trusted across transactions once that transaction committed: a rolled-back id may be
// handed out again for another pair, and a stale cache entry would file rows under the wrong
// parameter.
import type Database from 'better-sqlite3';

export class ParamIds {
  /** type → code → pid; nested rather than keyed by a joined string (no string built per row). */
  private readonly committed = new Map<string, Map<string, number>>();
  private uncommitted = new Map<string, Map<string, number>>();
  private readonly find: Database.Statement<[string, string], { pid: number }>;
  private readonly create: Database.Statement<[string, string, string]>;

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT pid FROM search_param WHERE code = ? AND type = ?');
    this.create = db.prepare('INSERT INTO search_param (code, type, kind) VALUES (?, ?, ?)');
  }

  /** The id of `code` on `type` (whose rows are in idx_<kind>), created when new. Call inside
   * the write transaction. */
  id(type: string, code: string, kind: string): number {
    let pid = this.committed.get(type)?.get(code) ?? this.uncommitted.get(type)?.get(code);
    if (pid === undefined) {
      pid = this.find.get(code, type)?.pid ?? Number(this.create.run(code, type, kind).lastInsertRowid);
      put(this.uncommitted, type, code, pid);
    }
    return pid;
  }

  /** The write transaction committed: its ids are durable. */
  commit(): void {
    for (const [type, codes] of this.uncommitted) for (const [code, pid] of codes) put(this.committed, type, code, pid);
    this.uncommitted = new Map();
  }

  /** Some or all of the transaction rolled back: forget ids not known to be committed (they are
   * looked up again, which is correct whether or not they survived). */
  rollback(): void {
    this.uncommitted = new Map();
  }
}

function put(map: Map<string, Map<string, number>>, type: string, code: string, pid: number): void {
  let codes = map.get(type);
  if (!codes) map.set(type, (codes = new Map()));
  codes.set(code, pid);
}
