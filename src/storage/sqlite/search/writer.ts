// Writes the IndexValues of a resource's current version as rows of the idx_* tables, replacing
// the rows of its previous version. Runs inside the engine's write transaction, so the resource
// and its index rows commit together. Row keys: see schema.ts (k = rid << RID_SHIFT | n).
import type Database from 'better-sqlite3';
import type { IndexValues } from '../../../search/index-values';
import { ParamIds } from './param-ids';
import { KEYED_TABLES, RID_SPAN, RID_TABLES } from './schema';

type Stmt = Database.Statement;
type KeyedKind = Exclude<keyof IndexValues, 'sort'>;

export class IndexWriter {
  private readonly rangeDeletes: Stmt[];
  private readonly ridDeletes: Stmt[];
  /** Undefined on a file held at a schema before migration 5 (only tests build one). */
  private readonly positionDelete?: Stmt;
  private readonly positionInsert?: Stmt;
  private readonly insert: Record<Exclude<KeyedKind, 'position'> | 'text', Stmt>;
  private readonly typeOf: Database.Statement<[number], { type: string }>;
  readonly params: ParamIds;

  constructor(db: Database.Database) {
    this.params = new ParamIds(db);
    this.typeOf = db.prepare('SELECT type FROM resources WHERE rid = ?');
    // Range deletes on the table B-tree: no (rid) index is needed to find a resource's rows.
    this.rangeDeletes = KEYED_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE k >= ? AND k < ?`));
    this.ridDeletes = RID_TABLES.map((t) => db.prepare(`DELETE FROM ${t} WHERE rid = ?`));
    // One id lookup in the R*Tree (see POSITION_INDEX_SQL): a resource has at most one position row.
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'idx_position'").get()) {
      this.positionDelete = db.prepare('DELETE FROM idx_position WHERE k = ?');
      this.positionInsert = db.prepare('INSERT INTO idx_position (k, lat_lo, lat_hi, lon_lo, lon_hi, p, lat, lon) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    }
    this.insert = {
      string: db.prepare('INSERT INTO idx_string (k, p, v, e) VALUES (?, ?, ?, ?)'),
      text: db.prepare('INSERT INTO idx_text (rid, content, narrative) VALUES (?, ?, ?)'),
      token: db.prepare('INSERT INTO idx_token (k, p, s, c, t, ts, tc) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      date: db.prepare('INSERT INTO idx_date (k, p, lo, hi) VALUES (?, ?, ?, ?)'),
      number: db.prepare('INSERT INTO idx_number (k, p, lo, hi) VALUES (?, ?, ?, ?)'),
      quantity: db.prepare('INSERT INTO idx_quantity (k, p, lo, hi, s, c, u) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      reference: db.prepare('INSERT INTO idx_reference (k, p, t, i, u, ver, "is", iv) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      uri: db.prepare('INSERT INTO idx_uri (k, p, v) VALUES (?, ?, ?)'),
      // Components as JSONB: ~20 % smaller than JSON text, and json_extract reads it without parsing.
      composite: db.prepare('INSERT INTO idx_composite (k, p, c0, c1, c2) VALUES (?, ?, jsonb(?), jsonb(?), jsonb(?))'),
    };
  }

  /**
   * Replaces the rows of `rid`; undefined index (a delete) just removes them. `fresh` says the
   * resource has never been written before (a new rid), so there is nothing to delete: nine
   * DELETE statements per created resource were a measurable share of ingest. `type` is the
   * resource type (read from `resources` when not given).
   */
  replace(rid: number, index: IndexValues | undefined, fresh = false, type?: string): void {
    const base = rid * RID_SPAN; // rid << RID_SHIFT without 32-bit overflow
    if (!fresh) {
      for (const d of this.rangeDeletes) d.run(base, base + RID_SPAN);
      for (const d of this.ridDeletes) d.run(rid);
      this.positionDelete?.run(base);
    }
    if (!index) return;
    const resourceType = type ?? this.typeOf.get(rid)?.type;
    if (resourceType === undefined) throw new Error(`no resource with rid ${rid}`);
    const ids = this.params;
    const pid = (code: string, kind: KeyedKind) => ids.id(resourceType, code, kind);
    const n = (v: string | undefined) => v ?? null;
    const key = (i: number) => {
      if (i >= RID_SPAN) throw new Error(`more than ${RID_SPAN} index records of one kind for one resource`);
      return base + i;
    };
    let content: string | null = null;
    let narrative: string | null = null;
    let i = 0;
    for (const e of index.string) {
      if (e.p === '_content') content = e.v;
      else if (e.p === '_text') narrative = e.v;
      else this.insert.string.run(key(i++), pid(e.p, 'string'), e.v, e.e);
    }
    if (content !== null || narrative !== null) this.insert.text.run(rid, content, narrative);
    i = 0;
    for (const e of index.token) this.insert.token.run(key(i++), pid(e.p, 'token'), n(e.s), n(e.c), n(e.t), n(e.ts), n(e.tc));
    i = 0;
    for (const e of index.date) this.insert.date.run(key(i++), pid(e.p, 'date'), e.lo, e.hi);
    i = 0;
    for (const e of index.number) this.insert.number.run(key(i++), pid(e.p, 'number'), e.lo, e.hi);
    i = 0;
    for (const e of index.quantity) this.insert.quantity.run(key(i++), pid(e.p, 'quantity'), e.lo, e.hi, n(e.s), n(e.c), n(e.u));
    i = 0;
    for (const e of index.reference) this.insert.reference.run(key(i++), pid(e.p, 'reference'), n(e.t), n(e.i), n(e.u), n(e.ver), n(e.is), n(e.iv));
    i = 0;
    for (const e of index.uri) this.insert.uri.run(key(i++), pid(e.p, 'uri'), e.v);
    i = 0;
    for (const e of index.composite) this.insert.composite.run(key(i++), pid(e.p, 'composite'), JSON.stringify(e.c0), JSON.stringify(e.c1), e.c2 ? JSON.stringify(e.c2) : null);
    // At most one position per resource (its row key is `base`): a second entry (a custom
    // SearchParameter over another element) would need a key of its own, so it is not indexed.
    const position = index.position[0];
    if (position) this.positionInsert?.run(base, position.lat, position.lat, position.lon, position.lon, pid(position.p, 'position'), position.lat, position.lon);
    // index.sort is not stored: sort keys are read from the kind tables (see compile.ts).
  }
}
