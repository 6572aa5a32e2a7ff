// Index tables of the search IndexValues in SQLite: one table per value kind, one row per
// IndexValues record. See docs/index-layout.md for a worked example and the measurements behind
// these choices. Column names match the IndexValues field names.
//
// Row key. Every kind table is a rowid table whose key is `k = rid << RID_SHIFT | n` (n = the
// record's position among the resource's records of that kind). So the rows of one resource are
// one contiguous range of the table B-tree: replacing them is a range delete, and a new resource's
// rows are appended at the end of the table. No `(rid)` index is needed, and every secondary index
// ends with `k` implicitly, so `k >> RID_SHIFT` (the rid) is read from the index alone (covering).
//
// Sort keys are not stored apart: a sort key is the min (ascending) or max (descending) of the
// parameter's rows, read from the resource's key range of its kind table (compile.ts).
//
// Secondary indexes: one per table where possible, led by `p` (the parameter) so that a
// predicate on one parameter is one index range. Each index costs one B-tree insert per row on
// ingest, which is what dominated import time; see the docs for which query forms lost an index.

/** Bits of `k` that number a resource's records of one kind (up to 2^20 = 1,048,576 records). */
export const RID_SHIFT = 20;
export const RID_SPAN = 2 ** RID_SHIFT;

export const SEARCH_INDEX_SQL = `
  -- Search parameters per resource type, numbered: kind tables store the number (pid) in p. A
  -- pid names a (type, code) pair, so an index range on p holds rows of one resource type only
  -- and counts need no join to resources; and a small integer key keeps every index entry short.
  -- kind names the idx_<kind> table that holds the parameter's rows (read to compile _sort).
  CREATE TABLE search_param (pid INTEGER PRIMARY KEY, type TEXT NOT NULL, code TEXT NOT NULL, kind TEXT NOT NULL, UNIQUE (code, type));

  CREATE TABLE idx_string (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, v TEXT NOT NULL, e TEXT NOT NULL);
  CREATE INDEX idx_string_pv ON idx_string(p, v);

  -- _content and _text: the folded text of a resource (up to 8,000 characters) is only ever
  -- scanned with instr() for words, never looked up by value, so it stays out of any (p, v)
  -- B-tree: one row per resource keyed by rid, appended on ingest.
  CREATE TABLE idx_text (rid INTEGER PRIMARY KEY, content TEXT, narrative TEXT);

  CREATE TABLE idx_token (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, s TEXT, c TEXT, t TEXT, ts TEXT, tc TEXT);
  CREATE INDEX idx_token_pcs ON idx_token(p, c, s);

  CREATE TABLE idx_date (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL);
  CREATE INDEX idx_date_plo ON idx_date(p, lo, hi);
  CREATE INDEX idx_date_phi ON idx_date(p, hi, lo);

  CREATE TABLE idx_number (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL);
  CREATE INDEX idx_number_plo ON idx_number(p, lo, hi);

  CREATE TABLE idx_quantity (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL, s TEXT, c TEXT, u TEXT);
  CREATE INDEX idx_quantity_plo ON idx_quantity(p, lo, hi);

  -- (p, i, t) serves reference leaves, chains (driven from the target's (type, id)) and _has; the
  -- URL index is partial because local references (most of them) have no u.
  CREATE TABLE idx_reference (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, t TEXT, i TEXT, u TEXT, ver TEXT, "is" TEXT, iv TEXT);
  CREATE INDEX idx_reference_pit ON idx_reference(p, i, t);
  CREATE INDEX idx_reference_pu ON idx_reference(p, u) WHERE u IS NOT NULL;

  CREATE TABLE idx_uri (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, v TEXT NOT NULL);
  CREATE INDEX idx_uri_pv ON idx_uri(p, v);

  -- Composite records keep their components as JSON objects (c0, c1, c2: one ComponentValue each);
  -- lookups narrow by p first, then compare components with json_extract.
  CREATE TABLE idx_composite (k INTEGER PRIMARY KEY, p INTEGER NOT NULL, c0 TEXT NOT NULL, c1 TEXT NOT NULL, c2 TEXT);
  CREATE INDEX idx_composite_p ON idx_composite(p);

`;

/**
 * Positions (`near`): an R*Tree over a degenerate box per point. Its id is `k` like every kind
 * table (a resource has at most one position — Location.position is 0..1 — so `k = rid <<
 * RID_SHIFT`, and a delete is one id lookup, the R*Tree's fast path; a range delete would scan).
 * The box columns are 32-bit floats rounded outwards; `+lat`/`+lon` keep the exact degrees for the
 * great-circle check, `+p` the parameter id. (Migration 5; docs/index-layout.md.)
 */
export const POSITION_INDEX_SQL = `
  CREATE VIRTUAL TABLE idx_position USING rtree(k, lat_lo, lat_hi, lon_lo, lon_hi, +p INTEGER, +lat REAL, +lon REAL);
`;

/** The kind tables keyed by `k` (rid << RID_SHIFT | n), cleared by range on replace. */
export const KEYED_TABLES = ['idx_string', 'idx_token', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri', 'idx_composite'] as const;
/** Tables keyed by rid itself. */
export const RID_TABLES = ['idx_text'] as const;
