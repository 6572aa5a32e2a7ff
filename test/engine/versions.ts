// Builders of engine-level writes for the conformance suites: a version with its JSON text, meta
// set the way the REST layer sets it, and lastUpdated from an explicit instant (no clock, no sleep).
import { emptyIndexValues, type IndexValues } from '../../src/search/index-values';
import type { VersionWrite } from '../../src/storage/engine';

export function instant(n: number): string {
  return new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString();
}

export function version(
  type: string,
  id: string,
  versionId: number,
  at: number,
  body: Record<string, unknown> = {},
  index: IndexValues = emptyIndexValues(),
): VersionWrite {
  const lastUpdated = instant(at);
  const resource = { resourceType: type, id, meta: { versionId: String(versionId), lastUpdated }, ...body };
  return { resourceType: type, id, versionId, lastUpdated, deleted: false, json: JSON.stringify(resource), index };
}

export function deletion(type: string, id: string, versionId: number, at: number): VersionWrite {
  return { resourceType: type, id, versionId, lastUpdated: instant(at), deleted: true };
}
