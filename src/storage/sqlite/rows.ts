// The one mapping from a row of `resources`/`versions` to the engine contract's ResourceVersion,
// shared by the engine's reads and the search executor.
import type { ResourceVersion } from '../engine';

export interface VersionRow {
  type: string;
  id: string;
  version: number;
  last_updated: string;
  /** Absent in search rows, which only ever hold live resources. */
  deleted?: number;
  json: string | null;
}

export function toVersion(row: VersionRow): ResourceVersion {
  return {
    resourceType: row.type,
    id: row.id,
    versionId: row.version,
    lastUpdated: row.last_updated,
    deleted: row.deleted === 1,
    ...(row.json !== null ? { json: row.json } : {}),
  };
}
