// One stored version of a resource as every engine keeps it. Its own module so that the search
// plan (which returns versions) and the engine contract (which compiles plans) do not import each
// other.
import type { IndexValues } from '../search/index-values';

/** One stored version of a resource, exactly as the engine keeps it. */
export interface ResourceVersion {
  resourceType: string;
  id: string;
  /** Server-assigned, 1, 2, 3… per resource; a delete is a version too. */
  versionId: number;
  /** ISO-8601 instant with milliseconds and `Z`, as written into meta.lastUpdated. */
  lastUpdated: string;
  deleted: boolean;
  /** The resource as JSON text (meta included); absent for a delete. Kept as text so a read can be
   * answered without a parse/stringify round trip. */
  json?: string;
}

/** A version to make current, with the search index values of its content (none for a delete). */
export interface VersionWrite extends ResourceVersion {
  index?: IndexValues;
}

