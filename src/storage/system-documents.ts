// Rules both engines share for the SystemStore (engine.ts) and for rewriteCurrent: what a valid
// collection, key, value and expiry is, and when a stored document counts as expired. The engines
// only differ in where the documents live (SQLite table / MongoDB collection).
import type { ResourceVersion, VersionWrite } from './version';

const COLLECTION = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
export const MAX_KEY_LENGTH = 512;

/** Callers are server code, never clients: a bad name is a programming error, not a 4xx. */
export function checkCollection(collection: string): void {
  if (typeof collection !== 'string' || !COLLECTION.test(collection)) {
    throw new Error(`system collection '${String(collection).slice(0, 80)}' is not a name of [A-Za-z][A-Za-z0-9_-]* (at most 64 characters)`);
  }
}

export function checkKey(key: string, what = 'key'): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new Error(`system document ${what} must be a string of 1 to ${MAX_KEY_LENGTH} characters`);
  }
}

export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, not ${limit}`);
}

/** The value as stored: JSON text (exact, whatever keys it has: `$` and `.` are no problem). */
export function encodeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new Error('a system document value must be JSON (not undefined or a function)');
  return text;
}

/** Expiry as stored: `YYYY-MM-DDTHH:MM:SS.sssZ`, whose text order is time order. */
export function normaliseExpiry(expiresAt: string | undefined): string | undefined {
  if (expiresAt === undefined) return undefined;
  const t = Date.parse(expiresAt);
  const iso = Number.isNaN(t) ? '' : new Date(t).toISOString();
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(iso)) throw new Error(`expiresAt '${String(expiresAt).slice(0, 40)}' is not an instant between the years 0 and 9999`);
  return iso;
}

/** A document exists until its expiry instant (exclusive). */
export function isExpired(expiresAt: string | null | undefined, nowIso: string): boolean {
  return expiresAt !== undefined && expiresAt !== null && expiresAt <= nowIso;
}

/** rewriteCurrent's arguments must describe one version of one live resource. */
export function checkRewrite(expected: ResourceVersion, next: VersionWrite): void {
  const same = expected.resourceType === next.resourceType && expected.id === next.id && expected.versionId === next.versionId && expected.lastUpdated === next.lastUpdated;
  if (!same) throw new Error('rewriteCurrent: next must keep the resource, versionId and lastUpdated of the expected version');
  if (expected.deleted || next.deleted || next.json === undefined) throw new Error('rewriteCurrent: a delete marker has no content to rewrite');
}
