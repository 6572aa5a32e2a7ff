// What `nimbus-fhir check` asks of the SQLite engine: the index values as stored (decoded back
// from the idx_* rows into IndexValues, so the checker compares them with freshly derived ones
// the same way on both engines), and the checks only SQLite can make: `PRAGMA integrity_check`
// and rows that point at no resource (versions, index rows of a row id that no longer exists).
import type Database from 'better-sqlite3';
import { emptyIndexValues, type ComponentValue, type IndexValues } from '../../search/index-values';
import type { StorageCheck } from '../engine';
import { KEYED_TABLES, RID_SPAN } from './search/schema';

type Row = Record<string, unknown>;

/** Drops SQL NULLs: IndexValues leave absent fields out (never null). */
function defined<T extends Row>(row: T): T {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) if (v !== null) out[k] = v;
  return out as T;
}

export function readStoredIndex(db: Database.Database, resourceType: string, ids: string[]): Map<string, IndexValues> {
  const out = new Map<string, IndexValues>();
  const ridOf = db.prepare<[string, string], { rid: number }>('SELECT rid FROM resources WHERE type = ? AND id = ?');
  const codes = new Map<number, string>();
  for (const r of db.prepare('SELECT pid, code FROM search_param').all() as { pid: number; code: string }[]) codes.set(r.pid, r.code);
  const code = (pid: number) => codes.get(pid) ?? `#unknown-parameter-${pid}`;
  const range = (table: string, columns: string) => db.prepare<[number, number], Row & { p: number }>(`SELECT p, ${columns} FROM ${table} WHERE k >= ? AND k < ? ORDER BY k`);
  const stmts = {
    string: range('idx_string', 'v, e'),
    token: range('idx_token', 's, c, t, ts, tc'),
    date: range('idx_date', 'lo, hi'),
    number: range('idx_number', 'lo, hi'),
    quantity: range('idx_quantity', 'lo, hi, s, c, u'),
    reference: range('idx_reference', 't, i, u, ver, "is", iv'),
    uri: range('idx_uri', 'v'),
    composite: range('idx_composite', 'json(c0) AS c0, json(c1) AS c1, json(c2) AS c2'),
  };
  const text = db.prepare<[number], { content: string | null; narrative: string | null }>('SELECT content, narrative FROM idx_text WHERE rid = ?');
  for (const id of ids) {
    const rid = ridOf.get(resourceType, id)?.rid;
    if (rid === undefined) continue;
    const lo = rid * RID_SPAN;
    const index = emptyIndexValues();
    for (const [kind, stmt] of Object.entries(stmts) as [keyof typeof stmts, (typeof stmts)[keyof typeof stmts]][]) {
      for (const row of stmt.all(lo, lo + RID_SPAN)) {
        const { p, ...rest } = defined(row);
        if (kind === 'composite') {
          const parse = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as ComponentValue) : undefined);
          index.composite.push({ p: code(p), c0: parse(rest.c0)!, c1: parse(rest.c1)!, ...(rest.c2 !== undefined ? { c2: parse(rest.c2) } : {}) });
        } else {
          (index[kind] as unknown as Row[]).push({ p: code(p), ...rest });
        }
      }
    }
    // _content and _text live in idx_text; their `e` (the unfolded text) is not stored.
    const t = text.get(rid);
    if (t?.narrative != null) index.string.push({ p: '_text', v: t.narrative, e: '' });
    if (t?.content != null) index.string.push({ p: '_content', v: t.content, e: '' });
    out.set(id, index);
  }
  return out;
}

export function checkSqliteStorage(db: Database.Database): StorageCheck {
  const problems: string[] = [];
  const integrity = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
  if (!(integrity.length === 1 && integrity[0] === 'ok')) problems.push(...integrity.slice(0, 50).map((m) => `SQLite integrity_check: ${m}`));
  const orphanVersions = (db.prepare('SELECT count(*) AS n FROM versions v WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.rid = v.rid)').get() as { n: number }).n;
  if (orphanVersions) problems.push(`${orphanVersions} version rows belong to no resource (table versions)`);
  for (const table of KEYED_TABLES) {
    const n = (db.prepare(`SELECT count(*) AS n FROM ${table} x WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.rid = x.k / ${RID_SPAN})`).get() as { n: number }).n;
    if (n) problems.push(`${n} index rows in ${table} belong to no resource`);
    const unknown = (db.prepare(`SELECT count(*) AS n FROM ${table} x WHERE NOT EXISTS (SELECT 1 FROM search_param s WHERE s.pid = x.p)`).get() as { n: number }).n;
    if (unknown) problems.push(`${unknown} index rows in ${table} name no known search parameter`);
  }
  const text = (db.prepare('SELECT count(*) AS n FROM idx_text x WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.rid = x.rid)').get() as { n: number }).n;
  if (text) problems.push(`${text} index rows in idx_text belong to no resource`);
  return { problems, notes: ['SQLite integrity_check, orphan version and index rows checked'] };
}
