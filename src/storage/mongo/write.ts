// The write path: a new version and its swap into the current document. In a transaction the two
// writes commit together. Without transactions (standalone, FerretDB) they are ordered so that a
// crash never loses an acknowledged version and never wedges a resource:
//   1. insert the version document — the unique (t, id, v) index lets only one writer of version N
//      through (no lost updates, even across server processes);
//   2. swap the current document by compare-and-set on the version it had (optimistic
//      concurrency), or insert it for a new resource;
//   3. mark the previous version superseded (for `_at`).
// A version left behind by a crash between 1 and 2 carries its index entries, so the next writer
// of that resource rolls it forward before reporting the conflict. Every step is a single-document
// operation addressed by `_id` (FerretDB answers those from its primary key; a filter with a range
// makes it scan the collection).
import type { ClientSession, Db, Document, UpdateFilter } from 'mongodb';
import { INDEX_KINDS } from '../../search/index-values';
import type { VersionWrite } from '../engine';
import type { Capabilities } from './connection';
import { mongoErrors } from './errors';
import { META, RESOURCES, VERSIONS, currentKey, toStoredVersion, versionKey, type StoredVersion } from './layout';

const DUPLICATE_KEY = 11000;

export interface WriteContext {
  db: Db;
  capabilities: Capabilities;
  /** Present inside a multi-document transaction. */
  session?: ClientSession;
  /** Per-process lower bounds of the stored arity (FerretDB), to skip `$max` updates that
   * cannot raise it. */
  knownArity?: Map<string, Partial<Record<string, number>>>;
}

export const arityKey = (type: string): string => `arity/${type}`;

export async function writeVersion(ctx: WriteContext, w: VersionWrite): Promise<void> {
  const { db, session } = ctx;
  const current = toStoredVersion(w, currentKey(w.resourceType, w.id));
  const version: StoredVersion = { ...current, _id: versionKey(w.resourceType, w.id, w.versionId) };
  // Before the entries become visible, so a reader never meets a longer array than it expands.
  if (!ctx.capabilities.elemMatchOnDocuments && current.ix) await recordArity(ctx, w.resourceType, current);

  try {
    await db.collection<StoredVersion>(VERSIONS).insertOne(version, { session });
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    if (!session) await rollForward(ctx, w.resourceType, w.id, w.versionId);
    throw mongoErrors.concurrentUpdate(w.resourceType, w.id, w.versionId);
  }

  const swap = await makeCurrent(ctx, current);
  if (swap.outcome === 'newer-exists') {
    // Ours is not the newest: undo step 1 (nothing else refers to it yet).
    if (!session) await db.collection<StoredVersion>(VERSIONS).deleteOne({ _id: version._id, lu: w.lastUpdated });
    throw mongoErrors.notNewer(w.resourceType, w.id, w.versionId, swap.current);
  }
  if (swap.outcome === 'replaced') {
    await db
      .collection<StoredVersion>(VERSIONS)
      .updateOne({ _id: versionKey(w.resourceType, w.id, swap.previous) }, { $set: { su: w.lastUpdated } }, { session });
  }
}

type Swap = { outcome: 'inserted' } | { outcome: 'replaced'; previous: number } | { outcome: 'newer-exists'; current: number } | { outcome: 'already' };

/** Compare-and-set of the current document: read its version, and replace it only if it still has
 * that version (and it is older than `doc`). A lost race is retried against the new state. */
async function makeCurrent(ctx: WriteContext, doc: StoredVersion): Promise<Swap> {
  const resources = ctx.db.collection<StoredVersion>(RESOURCES);
  const { _id, ...fields } = doc;
  for (let attempt = 0; attempt < 10; attempt++) {
    const now = await resources.findOne({ _id }, { projection: { v: 1, lu: 1, d: 1, j: 1 }, session: ctx.session });
    if (!now) {
      try {
        await resources.insertOne(doc, { session: ctx.session });
        return { outcome: 'inserted' };
      } catch (e) {
        // Another writer created it meanwhile (never inside a transaction: that aborts instead).
        if (!isDuplicateKey(e)) throw e;
        if (ctx.session) throw mongoErrors.concurrentUpdate(doc.t, doc.id, doc.v);
        continue;
      }
    }
    if (now.v === doc.v && now.lu === doc.lu) return { outcome: 'already' }; // rolled forward by a helper
    if (now.v >= doc.v) return { outcome: 'newer-exists', current: now.v };
    // Remove only what the current document has and the new one lacks (content after a delete,
    // the kept text): `$unset` of absent fields is not free on FerretDB.
    const stale = [...(now.d ? [] : ['r', 'ix', 'so']), ...(now.j !== undefined ? ['j'] : [])].filter((f) => !(f in fields));
    const update = (stale.length ? { $set: fields, $unset: Object.fromEntries(stale.map((f) => [f, ''])) } : { $set: fields }) as UpdateFilter<StoredVersion>;
    const res = await resources.updateOne({ _id, v: now.v }, update, { session: ctx.session });
    if (res.matchedCount === 1) return { outcome: 'replaced', previous: now.v };
  }
  throw mongoErrors.concurrentUpdate(doc.t, doc.id, doc.v);
}

/** Finishes the write of version N if the current document is still older: whoever inserted the
 * version either crashed or is about to swap it in, and both end well once it is current. */
async function rollForward(ctx: WriteContext, type: string, id: string, versionId: number): Promise<void> {
  const pending = await ctx.db.collection<StoredVersion>(VERSIONS).findOne({ _id: versionKey(type, id, versionId) });
  if (!pending) return;
  const { su: _superseded, ...content } = pending;
  const swap = await makeCurrent(ctx, { ...content, _id: currentKey(type, id) });
  if (swap.outcome === 'replaced') {
    await ctx.db.collection<StoredVersion>(VERSIONS).updateOne({ _id: versionKey(type, id, swap.previous) }, { $set: { su: pending.lu } });
  }
}

/** FerretDB only: the longest entry array per kind ever stored for a type, so that the compiler
 * can expand an entry predicate over array positions (see search/compile.ts). Only grows. */
export async function recordArity(ctx: WriteContext, type: string, doc: StoredVersion): Promise<void> {
  const known = ctx.knownArity?.get(type);
  const lengths: Document = {};
  for (const kind of INDEX_KINDS) {
    const n = doc.ix?.[kind]?.length ?? 0;
    if (n > (known?.[kind] ?? 0)) lengths[kind] = n;
  }
  if (!Object.keys(lengths).length) return;
  await ctx.db.collection<{ _id: string }>(META).updateOne({ _id: arityKey(type) }, { $max: lengths }, { upsert: true, session: ctx.session });
  // Only after the database has it; the stored value only grows, so a stale cache is merely low.
  if (ctx.knownArity && !ctx.session) ctx.knownArity.set(type, { ...known, ...lengths });
}

export function isDuplicateKey(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === DUPLICATE_KEY;
}
