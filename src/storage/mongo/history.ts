// History (newest first, keyset-paged) and scan (streaming a type in batches) over the MongoDB
// layout. A version records when it was superseded (`su`), so `_at` needs no join.
import type { Db, Document, Filter } from 'mongodb';
import type { HistoryPage, HistoryQuery, ResourceVersion, ScanOptions, ScanPage, ScanPageQuery } from '../engine';
import { engineErrors } from '../engine-errors';
import { RESOURCES, VERSIONS, VERSION_PROJECTION, toResourceVersion, type StoredVersion } from './layout';

export function historyFilter(q: HistoryQuery): Filter<StoredVersion> {
  const f: Filter<StoredVersion> = {};
  if (q.resourceType) f.t = q.resourceType;
  if (q.id !== undefined) f.id = q.id;
  const lu: Document = {};
  if (q.since) lu.$gte = q.since;
  if (q.at) {
    // Current at some point of [start, end): written before the end and not superseded by the
    // start (an instant t is the period [t, t + 1 ms), so superseded exactly at start still counts
    // as current at start only if su > start).
    lu.$lt = q.at.end;
    f.$or = [{ su: { $exists: false } }, { su: { $gt: q.at.start } }];
  }
  if (Object.keys(lu).length) f.lu = lu;
  return f;
}

interface HistoryCursor {
  lu: string;
  k: string;
}

function decodeCursor(raw: string): HistoryCursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<HistoryCursor>;
    if (typeof c.lu === 'string' && typeof c.k === 'string') return { lu: c.lu, k: c.k };
  } catch {
    // fall through
  }
  throw engineErrors.badHistoryCursor();
}

const encodeCursor = (c: HistoryCursor): string => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');

export async function readHistory(db: Db, q: HistoryQuery): Promise<HistoryPage> {
  const versions = db.collection<StoredVersion>(VERSIONS);
  const filter = historyFilter(q);
  const total = await versions.countDocuments(filter);
  let page: Filter<StoredVersion> = filter;
  if (q.cursor !== undefined) {
    // Keyset paging on (lu, _id) descending: stable while new versions arrive at the front.
    const c = decodeCursor(q.cursor);
    page = { $and: [filter, { $or: [{ lu: { $lt: c.lu } }, { lu: c.lu, _id: { $lt: c.k } }] }] };
  }
  const docs = await versions
    .find(page, { projection: { ...VERSION_PROJECTION, _id: 1 } })
    .sort({ lu: -1, _id: -1 })
    .limit(q.count + 1)
    .toArray();
  const more = docs.length > q.count;
  const shown = more ? docs.slice(0, q.count) : docs;
  const last = shown[shown.length - 1];
  return {
    versions: shown.map(toResourceVersion),
    total,
    ...(more && last ? { nextCursor: encodeCursor({ lu: last.lu as string, k: String(last._id) }) } : {}),
  };
}

/** Current, non-deleted resources of one type in `_id` order, one round trip per batch. */
export async function* scanType(db: Db, options: ScanOptions): AsyncIterable<ResourceVersion> {
  const batch = options.batchSize ?? 1000;
  const resources = db.collection<StoredVersion>(RESOURCES);
  let after: string | undefined;
  for (;;) {
    const f: Filter<StoredVersion> = { t: options.resourceType, d: false };
    if (options.since) f.lu = { $gte: options.since };
    if (after !== undefined) f.id = { $gt: after };
    const docs = await resources.find(f, { projection: VERSION_PROJECTION }).sort({ t: 1, id: 1 }).limit(batch).toArray();
    for (const d of docs) yield toResourceVersion(d);
    if (docs.length < batch) return;
    after = docs[docs.length - 1].id;
  }
}

/** One page of the current versions of a type in `id` order (the `type_id` index); the cursor is
 * the last id, so it survives restarts and stays valid while resources change. */
export async function scanPage(db: Db, q: ScanPageQuery): Promise<ScanPage> {
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new Error('scanPage: limit must be a positive integer');
  const f: Filter<StoredVersion> = { t: q.resourceType };
  if (!q.includeDeleted) f.d = false;
  if (q.since) f.lu = { $gte: q.since };
  if (q.after !== undefined) f.id = { $gt: decodeScanCursor(q.after) };
  const docs = await db
    .collection<StoredVersion>(RESOURCES)
    .find(f, { projection: VERSION_PROJECTION })
    .sort({ t: 1, id: 1 })
    .limit(q.limit + 1)
    .toArray();
  const more = docs.length > q.limit;
  const page = more ? docs.slice(0, q.limit) : docs;
  return { versions: page.map(toResourceVersion), ...(more ? { next: Buffer.from(`id:${page[page.length - 1].id}`).toString('base64url') } : {}) };
}

function decodeScanCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('id:') || text.length < 4) throw new Error(`scanPage: '${cursor.slice(0, 40)}' is not a cursor this engine issued`);
  return text.slice(3);
}
