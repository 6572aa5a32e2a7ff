// Sort order and keyset paging for searches. A cursor holds the sort values of the last (or
// first) resource of a page, so pages stay disjoint and complete while other writes happen, and a
// fingerprint of the query, so a cursor cannot be replayed against another search.
import { createHash } from 'node:crypto';
import type { Document } from 'mongodb';
import type { SearchPlan, SortKey } from '../../../search/plan';
import { sortField } from '../layout';
import { mongoErrors } from '../errors';

export type SortValue = string | number | null;

/** One field of the sort order: 1 ascending, -1 descending. */
export interface SortField {
  field: string;
  dir: 1 | -1;
}

/** A parameter sorts on its stored min (ascending) or max (descending), after the presence flag
 * `h` (descending), because MongoDB puts missing values first and FHIR wants them last either way.
 * `_id` (Type/id) ends every order, so positions are unique. */
export function sortFields(keys: SortKey[]): SortField[] {
  const out: SortField[] = [];
  for (const k of keys) {
    const dir = k.descending ? -1 : 1;
    if (k.param === '_id') out.push({ field: 'id', dir });
    else if (k.param === '_lastUpdated') out.push({ field: 'lu', dir });
    else {
      const base = `so.${sortField(k.param)}`;
      out.push({ field: `${base}.h`, dir: -1 }, { field: `${base}.${k.descending ? 'x' : 'n'}`, dir });
    }
  }
  out.push({ field: '_id', dir: 1 });
  return out;
}

export function sortDocument(fields: SortField[], reverse = false): Document {
  const sort: Document = {};
  for (const f of fields) sort[f.field] = reverse ? -f.dir : f.dir;
  return sort;
}

export function positionOf(doc: Document, fields: SortField[]): SortValue[] {
  return fields.map((f) => {
    let v: unknown = doc;
    for (const part of f.field.split('.')) v = v && typeof v === 'object' ? (v as Document)[part] : undefined;
    return typeof v === 'string' || typeof v === 'number' ? v : null;
  });
}

/** Documents strictly after `position` in the order of `fields` (before it when `backward`). */
export function afterPosition(fields: SortField[], position: SortValue[], backward: boolean): Document {
  const alternatives: Document[] = [];
  for (let i = 0; i < fields.length; i++) {
    const dir: 1 | -1 = backward ? (fields[i].dir === 1 ? -1 : 1) : fields[i].dir;
    const step = strictlyAfter(fields[i].field, dir, position[i]);
    if (!step) continue;
    const equal = fields.slice(0, i).map((f, j) => ({ [f.field]: position[j] }));
    alternatives.push(equal.length ? { $and: [...equal, step] } : step);
  }
  return alternatives.length ? { $or: alternatives } : { _id: { $in: [] } };
}

/** MongoDB orders null (missing) before any value; `{f: null}` matches a missing field too. */
function strictlyAfter(field: string, dir: 1 | -1, value: SortValue): Document | undefined {
  if (dir === 1) return value === null ? { [field]: { $ne: null } } : { [field]: { $gt: value } };
  return value === null ? undefined : { $or: [{ [field]: { $lt: value } }, { [field]: null }] };
}

// ---- cursors -----------------------------------------------------------------------------------

export interface PageCursor {
  /** n: the page after this position; p: the page before it. */
  d: 'n' | 'p';
  position: SortValue[];
}

export function fingerprint(plan: SearchPlan): string {
  return createHash('sha256')
    .update(JSON.stringify([plan.resourceTypes, plan.where, plan.sort]))
    .digest('base64url')
    .slice(0, 12);
}

export function encodeCursor(plan: SearchPlan, c: PageCursor): string {
  return Buffer.from(JSON.stringify([c.d, fingerprint(plan), c.position]), 'utf8').toString('base64url');
}

export function decodeCursor(plan: SearchPlan, text: string, width: number): PageCursor {
  try {
    const [d, f, position] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    const ok =
      (d === 'n' || d === 'p') &&
      f === fingerprint(plan) &&
      Array.isArray(position) &&
      position.length === width &&
      position.every((v) => v === null || typeof v === 'string' || typeof v === 'number');
    if (ok) return { d, position: position as SortValue[] };
  } catch {
    // fall through: any malformed cursor is the client's error
  }
  throw mongoErrors.badCursor();
}
