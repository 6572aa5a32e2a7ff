// The write path: a new version and its swap into the current document. In a transaction the two
// writes commit together. Without transactions (standalone, FerretDB) they are ordered so that a
// crash never loses an acknowledged version and never wedges a resource:
//   1. insert the version document — the unique (t, id, v) index lets only one writer of version N
//      through (no lost updates, even across server processes);
//   2. replace the current document only if its version is older (optimistic concurrency);
// a version left behind by a crash between 1 and 2 carries its index entries, so the next writer
// of that resource rolls it forward before reporting the conflict.
import type { ClientSession, Db, Document } from 'mongodb';
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
  const key = currentKey(w.resourceType, w.id);
  const current = toStoredVersion(w, key);
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

  try {
    await swapCurrent(ctx, current);
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    // In a transaction the error has aborted it (nothing to read or undo), and nobody can have
    // rolled our version forward: the commit is all-or-nothing.
    if (session) throw mongoErrors.notNewer(w.resourceType, w.id, w.versionId);
    // The current version is already N or newer. If it is our own version N, another writer rolled
    // it forward for us and the write is done.
    const now = await db.collection<StoredVersion>(RESOURCES).findOne({ _id: key }, { projection: { v: 1, lu: 1 } });
    const ours = now && now.v === w.versionId && now.lu === w.lastUpdated;
    if (!ours) {
      await db.collection<StoredVersion>(VERSIONS).deleteOne({ _id: version._id, lu: w.lastUpdated });
      throw mongoErrors.notNewer(w.resourceType, w.id, w.versionId, now?.v);
    }
  }
  if (w.versionId > 1) await markSuperseded(db, w.resourceType, w.id, w.versionId, w.lastUpdated, session);
}

/** Replaces the current document when it is older than `doc` (or absent). A newer or equal one
 * makes the upsert collide on `_id`, which the caller reads as "not newer". */
async function swapCurrent(ctx: WriteContext, doc: StoredVersion): Promise<void> {
  await ctx.db.collection<StoredVersion>(RESOURCES).replaceOne({ _id: doc._id, v: { $lt: doc.v } }, doc, { upsert: true, session: ctx.session });
}

/** Finishes the write of version N if the current document is still older: whoever inserted the
 * version either crashed or is about to swap it in, and both end well once it is current. */
async function rollForward(ctx: WriteContext, type: string, id: string, versionId: number): Promise<void> {
  const pending = await ctx.db.collection<StoredVersion>(VERSIONS).findOne({ _id: versionKey(type, id, versionId) });
  if (!pending) return;
  const current = await ctx.db.collection<StoredVersion>(RESOURCES).findOne({ _id: currentKey(type, id) }, { projection: { v: 1 } });
  if (current && current.v >= versionId) return;
  try {
    const { su: _superseded, ...content } = pending;
    await swapCurrent(ctx, { ...content, _id: currentKey(type, id) });
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
  }
}

/** FerretDB only: the longest entry array per kind ever stored for a type, so that the compiler
 * can expand an entry predicate over array positions (see search/compile.ts). Only grows. */
async function recordArity(ctx: WriteContext, type: string, doc: StoredVersion): Promise<void> {
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

/** Marks every older version of a resource as superseded at `lastUpdated` (those not yet marked:
 * only the previous one, or any a crash left unmarked). */
async function markSuperseded(db: Db, type: string, id: string, versionId: number, lastUpdated: string, session?: ClientSession): Promise<void> {
  await db
    .collection<StoredVersion>(VERSIONS)
    .updateMany({ t: type, id, v: { $lt: versionId }, su: { $exists: false } }, { $set: { su: lastUpdated } }, { session });
}

export function isDuplicateKey(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === DUPLICATE_KEY;
}
