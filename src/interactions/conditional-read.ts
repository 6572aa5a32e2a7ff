// Conditional read (R4 http.html#cread), one implementation for the HTTP headers and for Bundle
// entries' ifNoneMatch / ifModifiedSince, so both answer the same (RFC 9110 §13.1).
import type { ResourceVersion } from '../storage/engine';
import { parseETag } from './crud';

export interface ReadPreconditions {
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

/** Whether the client's copy is current, so the answer is 304 Not Modified. If-None-Match wins
 * over If-Modified-Since (RFC 9110 §13.2.2). HTTP dates have whole seconds: a version written at
 * 10:00:00.500 was not modified since `10:00:00 GMT`. */
export function notModified(v: ResourceVersion, pre: ReadPreconditions): boolean {
  if (pre.ifNoneMatch !== undefined) {
    return pre.ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || parseETag(tag) === String(v.versionId));
  }
  if (pre.ifModifiedSince !== undefined) {
    const since = Date.parse(pre.ifModifiedSince);
    if (!Number.isNaN(since)) return Math.floor(Date.parse(v.lastUpdated) / 1000) * 1000 <= since;
  }
  return false;
}
