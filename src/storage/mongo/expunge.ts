// Engine.expunge on MongoDB: removes every version document of a resource, then its current
// document. In a transaction both go together. Without transactions (standalone, FerretDB) the
// caller holds the resource's lock (locks.ts), so no writer of the resource runs meanwhile; the
// versions go first, so a crash half-way leaves the current document (a delete marker, or the
// live resource) with a gap in its history — `nimbus-fhir check` reports it and running the
// expunge again finishes it — and never old versions that vread would still answer.
import type { ClientSession, Db } from 'mongodb';
import { expungeAllowed, type ExpungeCondition } from '../engine';
import { RESOURCES, VERSIONS, VERSION_PROJECTION, currentKey, toResourceVersion, versionKey, type StoredVersion } from './layout';

export async function expungeResource(db: Db, type: string, id: string, condition: ExpungeCondition | undefined, session?: ClientSession): Promise<number> {
  const resources = db.collection<StoredVersion>(RESOURCES);
  const now = await resources.findOne({ _id: currentKey(type, id) }, { projection: VERSION_PROJECTION, session });
  if (!now || !expungeAllowed(toResourceVersion(now), condition)) return 0;
  // By `_id` (FerretDB answers those from its primary key): versions are numbered 1…v.
  const ids = Array.from({ length: now.v }, (_, i) => versionKey(type, id, i + 1));
  for (let i = 0; i < ids.length; i += 1000) {
    await db.collection<StoredVersion>(VERSIONS).deleteMany({ _id: { $in: ids.slice(i, i + 1000) } }, { session });
  }
  // A version a crashed writer left beyond the current one (write.ts rolls those forward) must not
  // survive to be rolled forward onto a new resource of the same id.
  await db.collection<StoredVersion>(VERSIONS).deleteMany({ t: type, id, v: { $gt: now.v } }, { session });
  await resources.deleteOne({ _id: now._id, v: now.v }, { session });
  return now.v;
}
