// Writes the IndexValues of a resource's current version as rows of the idx_* tables, replacing
// the rows of its previous version. Runs inside the engine's write transaction, so the resource
// and its index rows commit together.
import type Database from 'better-sqlite3';
import type { IndexValues } from '../../../search/index-values';
import { INDEX_TABLES } from './schema';

type Stmt = Database.Statement;

export class IndexWriter {
  private readonly deletes: Stmt[];
  private readonly insert: Record<keyof IndexValues, Stmt>;

  constructor(db: Database.Database) {
    this.deletes = INDEX_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE rid = ?`));
    this.insert = {
      string: db.prepare('INSERT INTO idx_string (rid, p, v, e) VALUES (?, ?, ?, ?)'),
      token: db.prepare('INSERT INTO idx_token (rid, p, s, c, t, ts, tc) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      date: db.prepare('INSERT INTO idx_date (rid, p, lo, hi) VALUES (?, ?, ?, ?)'),
      number: db.prepare('INSERT INTO idx_number (rid, p, lo, hi) VALUES (?, ?, ?, ?)'),
      quantity: db.prepare('INSERT INTO idx_quantity (rid, p, lo, hi, s, c, u) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      reference: db.prepare('INSERT INTO idx_reference (rid, p, t, i, u, ver, "is", iv) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      uri: db.prepare('INSERT INTO idx_uri (rid, p, v) VALUES (?, ?, ?)'),
      composite: db.prepare('INSERT INTO idx_composite (rid, p, c0, c1, c2) VALUES (?, ?, ?, ?, ?)'),
      sort: db.prepare('INSERT OR REPLACE INTO idx_sort (rid, p, mn, mx) VALUES (?, ?, ?, ?)'),
    };
  }

  /** Replaces the rows of `rid`; undefined index (a delete) just removes them. */
  replace(rid: number, index: IndexValues | undefined): void {
    for (const d of this.deletes) d.run(rid);
    if (!index) return;
    const n = (v: string | undefined) => v ?? null;
    for (const e of index.string) this.insert.string.run(rid, e.p, e.v, e.e);
    for (const e of index.token) this.insert.token.run(rid, e.p, n(e.s), n(e.c), n(e.t), n(e.ts), n(e.tc));
    for (const e of index.date) this.insert.date.run(rid, e.p, e.lo, e.hi);
    for (const e of index.number) this.insert.number.run(rid, e.p, e.lo, e.hi);
    for (const e of index.quantity) this.insert.quantity.run(rid, e.p, e.lo, e.hi, n(e.s), n(e.c), n(e.u));
    for (const e of index.reference) this.insert.reference.run(rid, e.p, n(e.t), n(e.i), n(e.u), n(e.ver), n(e.is), n(e.iv));
    for (const e of index.uri) this.insert.uri.run(rid, e.p, e.v);
    for (const e of index.composite) this.insert.composite.run(rid, e.p, JSON.stringify(e.c0), JSON.stringify(e.c1), e.c2 ? JSON.stringify(e.c2) : null);
    for (const e of index.sort) this.insert.sort.run(rid, e.p, e.min, e.max);
  }
}
