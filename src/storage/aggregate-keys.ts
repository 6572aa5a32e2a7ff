// How both engines name an aggregation group from the index entry fields that formed it (null:
// the field is absent), so that one query gives the same keys on SQLite and MongoDB.
import type { AggregateGroup } from './engine';

export type GroupValue = string | null;

/** token entries (s, c). */
export const tokenKey = ([system, code]: GroupValue[]): AggregateGroup['key'] => ({ system, code });

/** uri entries (v). */
export const uriKey = ([value]: GroupValue[]): AggregateGroup['key'] => ({ value: value ?? '' });

/** reference entries (t, i, u): a local target by type/id, otherwise the URL (with the contained
 * resource's type for `#id` references when the index knows it). */
export function referenceKey([type, id, url]: GroupValue[]): AggregateGroup['key'] {
  if (id !== null) return { ...(type !== null ? { type } : {}), id };
  return { url: url ?? '', ...(type !== null ? { type } : {}) };
}
