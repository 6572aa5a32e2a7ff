// The MongoDB layout: which collections exist, what a stored document looks like, and the indexes
// created (idempotently) at start-up. docs/mongodb-layout.md shows it on a worked example.
import type { Db, Document, IndexDescription } from 'mongodb';
import type { IndexKind, IndexValues, SortEntry } from '../../search/index-values';
import { INDEX_KINDS } from '../../search/index-values';
import type { ResourceVersion, VersionWrite } from '../engine';
import type { Capabilities } from './connection';

export const RESOURCES = 'resources';
export const VERSIONS = 'versions';
/** Small bookkeeping documents (per-type index arity on FerretDB). */
export const META = 'nimbus_meta';
/** The SystemStore's documents: `_id` is `collection/key` (see system-store.ts). */
export const SYSTEM = 'nimbus_system';
/** Leases of named locks and their break claims (see locks.ts). */
export const LOCKS = 'nimbus_locks';

/** Index entries as stored: the IndexValues kinds that have entries (empty kinds are left out). */
export type StoredIndex = Partial<Record<IndexKind, Document[]>>;

/** Sort keys by parameter code: `{ birthdate: { h: 1, n: min, x: max } }` (`h`: has a value). An object, not an array, so
 * that `sort({'so.birthdate.n': 1})` sorts on that parameter's value only. */
export type StoredSortKeys = Record<string, { h: 1; n: number | string; x: number | string }>;

/** Fields shared by the current document of a resource and each of its versions. */
export interface StoredVersion {
  _id: string;
  /** resourceType */
  t: string;
  id: string;
  /** versionId */
  v: number;
  /** meta.lastUpdated, ISO text (fixed width, so text order is time order). */
  lu: string;
  /** deleted */
  d: boolean;
  /** The resource as a native BSON document (absent for a delete). */
  r?: Document;
  /** The exact JSON text, kept only when re-serialising `r` would not reproduce it. */
  j?: string;
  ix?: StoredIndex;
  so?: StoredSortKeys;
  /** Versions only: lastUpdated of the version that superseded this one (for `_at`). */
  su?: string;
  /** How often this version's content was rewritten in place (rewriteCurrent): the
   * compare-and-set token of those rewrites, absent until the first. */
  rw?: number;
}

export const currentKey = (type: string, id: string): string => `${type}/${id}`;
export const versionKey = (type: string, id: string, v: number): string => `${type}/${id}/_history/${v}`;

/** Parameter codes are `[A-Za-z0-9_-]` in R4; anything else is escaped so that a code can never
 * become a dotted path or an operator when used as a field name. */
export function sortField(param: string): string {
  return param.replace(/[^A-Za-z0-9_-]/g, (ch) => `~${ch.charCodeAt(0).toString(16)}~`);
}

/**
 * Why the resource is stored as BSON and re-serialised, with the text only as a fallback: BSON
 * keeps field order, and every JS number survives a BSON round trip (int32/double), so for text
 * that JSON.stringify produced (the REST layer's) `JSON.stringify(r)` is byte-identical and the
 * text would double the storage. If some writer hands over text that does not round-trip (e.g.
 * `1.50` kept verbatim, big integers), the text is kept as well, so a read never alters it.
 */
export function toStoredVersion(w: VersionWrite, id: string): StoredVersion {
  const doc: StoredVersion = { _id: id, t: w.resourceType, id: w.id, v: w.versionId, lu: w.lastUpdated, d: w.deleted };
  if (!w.deleted && w.json !== undefined) {
    const resource = JSON.parse(w.json) as Document;
    doc.r = resource;
    if (JSON.stringify(resource) !== w.json) doc.j = w.json;
  }
  if (!w.deleted && w.index) {
    doc.ix = storedIndex(w.index);
    doc.so = storedSortKeys(w.index.sort);
  }
  return doc;
}

export function storedIndex(index: IndexValues): StoredIndex {
  const out: StoredIndex = {};
  for (const kind of INDEX_KINDS) if (index[kind].length) out[kind] = index[kind] as unknown as Document[];
  // Positions also as GeoJSON points (longitude first), for a 2dsphere index where the server has one.
  if (index.position.length) out.position = index.position.map((e) => ({ ...e, g: { type: 'Point', coordinates: [e.lon, e.lat] } }));
  return out;
}

function storedSortKeys(entries: SortEntry[]): StoredSortKeys {
  const out: StoredSortKeys = {};
  for (const e of entries) out[sortField(e.p)] = { h: 1, n: e.min, x: e.max };
  return out;
}

/** Fields a read needs: never the index entries. */
export const VERSION_PROJECTION = { t: 1, id: 1, v: 1, lu: 1, d: 1, r: 1, j: 1 } as const;

export function toResourceVersion(doc: Document): ResourceVersion {
  const json = doc.d ? undefined : typeof doc.j === 'string' ? doc.j : doc.r ? JSON.stringify(doc.r) : undefined;
  return {
    resourceType: doc.t as string,
    id: doc.id as string,
    versionId: doc.v as number,
    lastUpdated: doc.lu as string,
    deleted: doc.d === true,
    ...(json !== undefined ? { json } : {}),
  };
}

/** One compound multikey index per value kind: type, parameter code, then the field most
 * predicates of that kind pin down. All fields of one index lie in the same array, which MongoDB
 * allows (it refuses only indexes over two different arrays). */
const KIND_INDEX_FIELDS: Record<IndexKind, string[]> = {
  string: ['v'],
  token: ['c', 's'],
  date: ['lo', 'hi'],
  number: ['lo'],
  quantity: ['lo'],
  reference: ['i', 't'],
  uri: ['v'],
  composite: [],
  position: ['lat', 'lon'],
};

export function resourceIndexes(caps: Capabilities): IndexDescription[] {
  const live = caps.partialIndexes ? { partialFilterExpression: { d: false } } : {};
  const perKind = INDEX_KINDS.map((kind) => {
    const key: Record<string, 1> = { t: 1, [`ix.${kind}.p`]: 1 };
    for (const f of KIND_INDEX_FIELDS[kind]) key[`ix.${kind}.${f}`] = 1;
    return { name: `ix_${kind}`, key };
  });
  return [
    // The shard key of `resources` (docs/scale-out.md): a sharded collection needs its index.
    ...(caps.topology === 'sharded' ? [{ name: 'shard_id_hashed', key: { _id: 'hashed' as const } }] : []),
    // Streaming a type (scan, export) and `_id` order within a type.
    { name: 'type_id', key: { t: 1, id: 1 } },
    // `_lastUpdated` search/sort and scan(since); only live resources are worth indexing.
    { name: 'type_lastUpdated', key: { t: 1, lu: 1 }, ...live },
    // `_revinclude`/`_has` look for references to a target whatever the source type.
    { name: 'references_to', key: { 'ix.reference.i': 1, 'ix.reference.t': 1 } },
    ...perKind,
    // `near` on a spherical cap (MongoDB); FerretDB answers the box from ix_position alone.
    ...(caps.geoIndexes ? [{ name: 'ix_position_geo', key: { 'ix.position.g': '2dsphere' as const } }] : []),
  ];
}

export const VERSION_INDEXES: IndexDescription[] = [
  // Refuses a second version N of one resource: the optimistic lock of concurrent writers.
  { name: 'type_id_version', key: { t: 1, id: 1, v: 1 }, unique: true },
  // System and type history, newest first.
  { name: 'lastUpdated', key: { lu: -1, _id: -1 } },
  { name: 'type_lastUpdated', key: { t: 1, lu: -1, _id: -1 } },
];

/** Expired documents are removed by the server itself where it can (MongoDB's TTL monitor, about
 * once a minute); elsewhere the engine purges them lazily (system-store.ts). Readers skip expired
 * documents either way. */
export function systemIndexes(caps: Capabilities): IndexDescription[] {
  return caps.ttlIndexes ? [{ name: 'expiry', key: { exp: 1 }, expireAfterSeconds: 0 }] : [];
}

/** Break claims of locks are kept an hour (`gc`), then removed the same way. */
export function lockIndexes(caps: Capabilities): IndexDescription[] {
  return caps.ttlIndexes ? [{ name: 'claims_expiry', key: { gc: 1 }, expireAfterSeconds: 0 }] : [];
}

/** Creates the collections and the indexes that are missing, so every start-up may call it. */
export async function ensureLayout(db: Db, caps: Capabilities): Promise<void> {
  const collections = async () => new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const existing = await collections();
  for (const name of [RESOURCES, VERSIONS, META, SYSTEM, LOCKS]) {
    if (existing.has(name)) continue;
    try {
      await db.createCollection(name);
    } catch (e) {
      // Another process starting at the same moment created it.
      if (!(await collections()).has(name)) throw e;
    }
  }
  await ensureIndexes(db, RESOURCES, resourceIndexes(caps));
  await ensureIndexes(db, VERSIONS, VERSION_INDEXES);
  await ensureIndexes(db, SYSTEM, systemIndexes(caps));
  await ensureIndexes(db, LOCKS, lockIndexes(caps));
}

/** Only the missing ones, one per command: FerretDB 1.24 drops the connection when one
 * createIndexes names several indexes that already exist (MongoDB would treat it as a no-op).
 * Processes starting together may create the same index at once: a failure is fine when the
 * index exists afterwards. */
async function ensureIndexes(db: Db, collection: string, wanted: IndexDescription[]): Promise<void> {
  const names = async () => new Set((await db.collection(collection).listIndexes().toArray()).map((i) => i.name as string));
  const have = await names();
  for (const index of wanted) {
    if (have.has(index.name!)) continue;
    try {
      await db.collection(collection).createIndexes([index]);
    } catch (e) {
      if (!(await names()).has(index.name!)) throw e;
    }
  }
}
