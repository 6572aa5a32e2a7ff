// The SystemStore on MongoDB: one collection (`nimbus_system`) for every system collection, one
// document per key with `_id` = `collection/key` (collection names have no `/`, so one
// collection's keys are one `_id` range, in key order). Reads are single-document finds. Each
// write holds the key's lock (locks.ts) for its read-decide-write: FerretDB 1.x does not apply an
// update's filter atomically, so the `rev` in the filter alone would let two writers of one rev
// both succeed; on MongoDB the filter keeps guarding as well. The value is JSON text (`j`): exact,
// whatever its keys.
import type { Collection, Db, Filter } from 'mongodb';
import type { SystemDocument, SystemStore, SystemWriteOptions } from '../engine';
import { checkCollection, checkKey, checkLimit, encodeValue, normaliseExpiry } from '../system-documents';
import type { Capabilities } from './connection';
import { SYSTEM } from './layout';
import type { MongoLocks } from './locks';
import { literalRegex } from './search/compile';

interface StoredSystemDocument {
  _id: string;
  rev: number;
  /** The value as JSON text. */
  j: string;
  /** Expiry as a BSON date, which is what a TTL index needs. */
  exp?: Date;
}

/** Without TTL indexes (FerretDB 1.x), expired documents are deleted at most this often. */
const PURGE_EVERY_MS = 60_000;

const notExpired = (now: Date): Filter<StoredSystemDocument> => ({ $or: [{ exp: { $exists: false } }, { exp: { $gt: now } }] });

export class MongoSystemStore implements SystemStore {
  private readonly docs: Collection<StoredSystemDocument>;
  private lastPurge = 0;

  constructor(
    db: Db,
    private readonly capabilities: Capabilities,
    private readonly locks: MongoLocks,
  ) {
    this.docs = db.collection<StoredSystemDocument>(SYSTEM);
  }

  async get<T>(collection: string, key: string): Promise<SystemDocument<T> | undefined> {
    const _id = docId(collection, key);
    const doc = await this.docs.findOne({ _id });
    return doc && !expired(doc, new Date()) ? toDocument<T>(doc, collection) : undefined;
  }

  async insert<T>(collection: string, key: string, value: T, options: SystemWriteOptions = {}): Promise<boolean> {
    const _id = docId(collection, key);
    const doc: StoredSystemDocument = { _id, rev: 1, j: encodeValue(value), ...expiry(options) };
    await this.purgeNowAndThen();
    return this.locks.hold(`s:${_id}`, async () => {
      const existing = await this.docs.findOne({ _id });
      if (existing && !expired(existing, new Date())) return false;
      // An expired document is replaced in place.
      if (existing) await this.docs.replaceOne({ _id }, doc);
      else await this.docs.insertOne(doc);
      return true;
    });
  }

  async replace<T>(collection: string, key: string, value: T, expectedRev: number, options: SystemWriteOptions = {}): Promise<boolean> {
    const _id = docId(collection, key);
    const text = encodeValue(value);
    const exp = expiry(options).exp;
    const update = exp ? { $set: { rev: expectedRev + 1, j: text, exp } } : { $set: { rev: expectedRev + 1, j: text }, $unset: { exp: '' as const } };
    return this.locks.hold(`s:${_id}`, async () => {
      const res = await this.docs.updateOne({ _id, rev: expectedRev, ...notExpired(new Date()) }, update);
      return res.matchedCount === 1;
    });
  }

  async delete(collection: string, key: string, expectedRev?: number): Promise<boolean> {
    const _id = docId(collection, key);
    return this.locks.hold(`s:${_id}`, async () => {
      const res = await this.docs.deleteOne({ _id, ...(expectedRev !== undefined ? { rev: expectedRev } : {}), ...notExpired(new Date()) });
      return res.deletedCount === 1;
    });
  }

  async list<T>(collection: string, options: { prefix?: string; after?: string; limit: number }): Promise<SystemDocument<T>[]> {
    checkCollection(collection);
    checkLimit(options.limit);
    if (options.after !== undefined) checkKey(options.after, 'cursor');
    const start = `${collection}/${options.prefix ?? ''}`;
    const range: Filter<StoredSystemDocument>['_id'] = { $gte: start, $regex: `^${literalRegex(start)}` };
    if (options.after !== undefined) range.$gt = `${collection}/${options.after}`;
    const docs = await this.docs
      .find({ _id: range, ...notExpired(new Date()) })
      .sort({ _id: 1 })
      .limit(options.limit)
      .toArray();
    return docs.map((d) => toDocument<T>(d, collection));
  }

  /** Where the server has no TTL index, an insert removes the expired documents now and then. */
  private async purgeNowAndThen(): Promise<void> {
    if (this.capabilities.ttlIndexes || Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    await this.purgeExpired();
  }

  /** Deletes up to `batch` expired documents; returns how many. Readers skip them anyway: this
   * reclaims space. Each is deleted under its key's lock, because an insert may be taking its
   * place at the same moment (and FerretDB would delete by `_id` whatever is there then). */
  async purgeExpired(batch = 200): Promise<number> {
    const expired = await this.docs.find({ exp: { $lte: new Date() } }, { projection: { _id: 1 } }).limit(batch).toArray();
    let deleted = 0;
    for (const { _id } of expired) {
      deleted += await this.locks.hold(`s:${_id}`, async () => (await this.docs.deleteOne({ _id, exp: { $lte: new Date() } })).deletedCount);
    }
    return deleted;
  }
}

function docId(collection: string, key: string): string {
  checkCollection(collection);
  checkKey(key);
  return `${collection}/${key}`;
}

function expiry(options: SystemWriteOptions): { exp?: Date } {
  const iso = normaliseExpiry(options.expiresAt);
  return iso ? { exp: new Date(iso) } : {};
}

function expired(doc: StoredSystemDocument, now: Date): boolean {
  return doc.exp !== undefined && doc.exp.getTime() <= now.getTime();
}

function toDocument<T>(doc: StoredSystemDocument, collection: string): SystemDocument<T> {
  return {
    key: doc._id.slice(collection.length + 1),
    rev: doc.rev,
    value: JSON.parse(doc.j) as T,
    ...(doc.exp ? { expiresAt: doc.exp.toISOString() } : {}),
  };
}
