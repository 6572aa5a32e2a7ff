// Messages between the main thread (writer-channel.ts) and the writer thread (writer-thread.ts).
// The main thread posts batches of commands; only commands with an `id` are answered. Writes are
// not answered one by one: they are pipelined, and a failed write fails its whole group, which
// the group's `commit` reply reports (see group-commit.ts for why that is safe).
import type { VersionWrite, ResourceVersion } from '../engine';
import type { SearchPlan, SearchResult } from '../../search/plan';
import { FhirError, type Issue } from '../../fhir/errors';
import type { SystemRow } from './pending-writes';

export type Command =
  | { op: 'begin' }
  | { op: 'savepoint' }
  | { op: 'release' }
  | { op: 'rollbackToSavepoint' }
  | { op: 'write'; version: VersionWrite }
  /** New content and index values for the current version (rewriteCurrent). */
  | { op: 'rewrite'; version: VersionWrite }
  /** Remove a resource with all its versions and index rows (Engine.expunge; checked on the main thread). */
  | { op: 'expunge'; type: string; resourceId: string }
  /** Insert or replace a system document; `previous` is the rev the main thread saw (0: none). */
  | { op: 'systemPut'; collection: string; key: string; row: SystemRow; previous: number }
  | { op: 'systemDelete'; collection: string; key: string; rev: number }
  /** Forget an earlier failure: the main thread has failed every transaction that depended on it. */
  | { op: 'reset' }
  | { op: 'commit'; id: number }
  | { op: 'vread'; id: number; type: string; resourceId: string; versionId: number }
  | { op: 'search'; id: number; plan: SearchPlan }
  | { op: 'ping'; id: number }
  | { op: 'close'; id: number };

export type Request = Extract<Command, { id: number }>;

/** What each answered command answers with. */
export interface ReplyValues {
  commit: void;
  vread: ResourceVersion | undefined;
  search: SearchResult;
  ping: void;
  close: void;
}

export type Reply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: SerializedError };

/** An error as plain data (structured clone keeps neither the class nor its extra fields). */
export interface SerializedError {
  message: string;
  code?: string;
  fhir?: { status: number; errorCode: string; issues: Issue[]; headers: Record<string, string> };
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof FhirError) return { message: e.message, fhir: { status: e.status, errorCode: e.errorCode, issues: e.issues, headers: e.headers } };
  if (e instanceof Error) {
    const code = (e as Error & { code?: unknown }).code;
    return { message: e.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(e) };
}

export function deserializeError(s: SerializedError): Error {
  if (s.fhir) return new FhirError(s.fhir.status, s.fhir.errorCode, s.fhir.issues, s.fhir.headers);
  return Object.assign(new Error(s.message), s.code ? { code: s.code } : {});
}
