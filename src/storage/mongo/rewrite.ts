// rewriteCurrent on MongoDB: new content and index entries for the current version, in place, in
// both the `resources` document and the version's own `versions` document (vread reads that).
// Compare-and-set on the current document: same version `v`, same rewrite count `rw` (and the
// caller's JSON text), so a concurrent new version or a concurrent rewrite makes this one fail.
// With transactions the two documents change together; without, the current document first (it
// is what reads, searches and the next writer go by) and then the version document, guarded by
// `rw` so that two rewrites racing to it cannot leave the older content there.
import type { Document, UpdateFilter } from 'mongodb';
import type { ResourceVersion, VersionWrite } from '../engine';
import { RESOURCES, VERSIONS, VERSION_PROJECTION, currentKey, toResourceVersion, toStoredVersion, versionKey, type StoredVersion } from './layout';
import { recordArity, type WriteContext } from './write';

export async function rewriteCurrent(ctx: WriteContext, expected: ResourceVersion, next: VersionWrite): Promise<boolean> {
  const { db, session } = ctx;
  const _id = currentKey(expected.resourceType, expected.id);
  const resources = db.collection<StoredVersion>(RESOURCES);
  const now = await resources.findOne({ _id }, { projection: { ...VERSION_PROJECTION, rw: 1 }, session });
  if (!now || now.d || now.v !== expected.versionId || toResourceVersion(now).json !== expected.json) return false;

  const stored = toStoredVersion(next, _id);
  // Before the entries become visible (FerretDB's position expansion, see write.ts).
  if (!ctx.capabilities.elemMatchOnDocuments && stored.ix) await recordArity(ctx, next.resourceType, stored);
  const rw = (now.rw ?? 0) + 1;
  const content: Document = { r: stored.r, ix: stored.ix ?? {}, so: stored.so ?? {}, rw };
  if (stored.j !== undefined) content.j = stored.j;
  // `$unset` of a field that is not there is not free on FerretDB.
  const update: UpdateFilter<StoredVersion> = stored.j === undefined && now.j !== undefined ? { $set: content, $unset: { j: '' as const } } : { $set: content };

  const swapped = await resources.updateOne({ _id, v: now.v, rw: now.rw ?? { $exists: false } }, update, { session });
  if (swapped.matchedCount !== 1) return false;
  await db
    .collection<StoredVersion>(VERSIONS)
    .updateOne({ _id: versionKey(expected.resourceType, expected.id, expected.versionId), $or: [{ rw: { $exists: false } }, { rw: { $lt: rw } }] }, update, { session });
  return true;
}
