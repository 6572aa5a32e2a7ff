// Index tables of the search IndexValues in SQLite: one table per value kind, one row per
// IndexValues record, keyed by the resource's stable `rid` (resources.rid). See
// docs/index-layout.md for a worked example. Column names match the IndexValues field names.
//
// Index choices: every table has (p, <value columns>, rid) so that a predicate on one parameter is
// answered from the index alone (covering), and (rid) so that replacing a resource's rows is cheap.

export const SEARCH_INDEX_SQL = `
  CREATE TABLE idx_string (rid INTEGER NOT NULL, p TEXT NOT NULL, v TEXT NOT NULL, e TEXT NOT NULL);
  CREATE INDEX idx_string_pv ON idx_string(p, v, rid);
  CREATE INDEX idx_string_rid ON idx_string(rid);

  CREATE TABLE idx_token (rid INTEGER NOT NULL, p TEXT NOT NULL, s TEXT, c TEXT, t TEXT, ts TEXT, tc TEXT);
  CREATE INDEX idx_token_pcs ON idx_token(p, c, s, rid);
  CREATE INDEX idx_token_ps ON idx_token(p, s, rid);
  CREATE INDEX idx_token_rid ON idx_token(rid);

  CREATE TABLE idx_date (rid INTEGER NOT NULL, p TEXT NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL);
  CREATE INDEX idx_date_plo ON idx_date(p, lo, hi, rid);
  CREATE INDEX idx_date_phi ON idx_date(p, hi, lo, rid);
  CREATE INDEX idx_date_rid ON idx_date(rid);

  CREATE TABLE idx_number (rid INTEGER NOT NULL, p TEXT NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL);
  CREATE INDEX idx_number_plo ON idx_number(p, lo, hi, rid);
  CREATE INDEX idx_number_rid ON idx_number(rid);

  CREATE TABLE idx_quantity (rid INTEGER NOT NULL, p TEXT NOT NULL, lo REAL NOT NULL, hi REAL NOT NULL, s TEXT, c TEXT, u TEXT);
  CREATE INDEX idx_quantity_plo ON idx_quantity(p, lo, hi, rid);
  CREATE INDEX idx_quantity_rid ON idx_quantity(rid);

  CREATE TABLE idx_reference (rid INTEGER NOT NULL, p TEXT NOT NULL, t TEXT, i TEXT, u TEXT, ver TEXT, "is" TEXT, iv TEXT);
  CREATE INDEX idx_reference_pti ON idx_reference(p, i, t, rid);
  CREATE INDEX idx_reference_target ON idx_reference(t, i, p, rid);
  CREATE INDEX idx_reference_pu ON idx_reference(p, u, rid);
  CREATE INDEX idx_reference_rid ON idx_reference(rid, p);

  CREATE TABLE idx_uri (rid INTEGER NOT NULL, p TEXT NOT NULL, v TEXT NOT NULL);
  CREATE INDEX idx_uri_pv ON idx_uri(p, v, rid);
  CREATE INDEX idx_uri_rid ON idx_uri(rid);

  -- Composite records keep their components as JSON objects (c0, c1, c2: one ComponentValue each);
  -- lookups narrow by p first, then compare components with json_extract.
  CREATE TABLE idx_composite (rid INTEGER NOT NULL, p TEXT NOT NULL, c0 TEXT NOT NULL, c1 TEXT NOT NULL, c2 TEXT);
  CREATE INDEX idx_composite_p ON idx_composite(p, rid);
  CREATE INDEX idx_composite_rid ON idx_composite(rid);

  -- Sort keys: min for ascending, max for descending (multi-valued elements).
  CREATE TABLE idx_sort (rid INTEGER NOT NULL, p TEXT NOT NULL, mn, mx, PRIMARY KEY (rid, p)) WITHOUT ROWID;
  CREATE INDEX idx_sort_pmn ON idx_sort(p, mn, rid);
  CREATE INDEX idx_sort_pmx ON idx_sort(p, mx, rid);
`;

/** The kind tables, in the order the writer clears them. */
export const INDEX_TABLES = ['idx_string', 'idx_token', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri', 'idx_composite', 'idx_sort'] as const;
