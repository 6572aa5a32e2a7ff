// Builders for the Bundle shapes the server answers with (history now; searchset/batch-response
// reuse the entry helpers).
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';
import type { ResourceVersion } from '../storage/engine';
import { parseStoredJson } from './json';

export function fullUrlOf(base: string, v: { resourceType: string; id: string }): string {
  return `${base}/${v.resourceType}/${v.id}`;
}

/** A history entry per R4 http.html#history: the version, and how it came to be. */
export function historyEntry(base: string, v: ResourceVersion): BundleEntry {
  const method = v.deleted ? 'DELETE' : v.versionId === 1 ? 'POST' : 'PUT';
  const url = method === 'POST' ? v.resourceType : `${v.resourceType}/${v.id}`;
  return {
    fullUrl: fullUrlOf(base, v),
    ...(v.json ? { resource: parseStoredJson(v.json) as Resource } : {}),
    request: { method, url },
    response: {
      status: v.deleted ? '204' : v.versionId === 1 ? '201' : '200',
      etag: `W/"${v.versionId}"`,
      lastModified: v.lastUpdated,
    },
  };
}

export function bundle(type: Bundle['type'], entries: BundleEntry[], extra: { total?: number; link?: BundleLink[]; timestamp?: string } = {}): Bundle {
  return {
    resourceType: 'Bundle',
    type,
    ...(extra.timestamp ? { timestamp: extra.timestamp } : {}),
    ...(extra.total !== undefined ? { total: extra.total } : {}),
    ...(extra.link && extra.link.length ? { link: extra.link } : {}),
    ...(entries.length ? { entry: entries } : {}),
  } as Bundle;
}
