// What `nimbus-fhir check` asks of the MongoDB engine: the index entries embedded in the current
// documents, as IndexValues (they are stored as such, kind by kind; sort keys live apart), and the
// server's own `validate` of the collections where the server has the command (FerretDB 1.x
// answers it for its own storage only, or not at all: then the check says so).
import type { Db } from 'mongodb';
import { emptyIndexValues, INDEX_KINDS, type IndexValues } from '../../search/index-values';
import type { StorageCheck } from '../engine';
import { RESOURCES, VERSIONS, currentKey, type StoredVersion } from './layout';

export async function readStoredIndex(db: Db, resourceType: string, ids: string[]): Promise<Map<string, IndexValues>> {
  const out = new Map<string, IndexValues>();
  if (!ids.length) return out;
  const docs = await db
    .collection<StoredVersion>(RESOURCES)
    .find({ _id: { $in: ids.map((id) => currentKey(resourceType, id)) } }, { projection: { id: 1, ix: 1 } })
    .toArray();
  for (const doc of docs) {
    const index = emptyIndexValues();
    for (const kind of INDEX_KINDS) {
      const entries = doc.ix?.[kind];
      if (Array.isArray(entries)) (index[kind] as unknown[]).push(...entries);
    }
    out.set(doc.id, index);
  }
  return out;
}

export async function checkMongoStorage(db: Db): Promise<StorageCheck> {
  const problems: string[] = [];
  const notes: string[] = [];
  for (const collection of [RESOURCES, VERSIONS]) {
    try {
      const result = (await db.command({ validate: collection })) as { valid?: boolean; errors?: string[]; warnings?: string[] };
      if (result.valid === false) problems.push(`MongoDB validate ${collection}: ${(result.errors ?? ['invalid']).join('; ')}`);
      else notes.push(`MongoDB validate ${collection}: valid`);
    } catch (e) {
      notes.push(`MongoDB validate ${collection}: not available on this server (${(e as Error).message.slice(0, 120)})`);
    }
  }
  return { problems, notes };
}
