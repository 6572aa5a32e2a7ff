// Writes one part of a Bulk Data export: NDJSON lines streamed from the engine page by page
// (scanPage for a whole type, a keyset search for a restricted one) straight into the FileStore,
// never a whole type in memory. A part ends after PART_LINES resources or at the end of its type;
// the cursor where it stopped is the job's resume point.
import type { DataAccess } from '../access/data-access';
import type { FileStore, ResourceVersion } from '../storage/engine';
import type { TypeScope } from './export-scope';

/** Resources per page read from the engine, and per file part (one resume point each). */
export const PAGE_SIZE = 1000;
export const PART_LINES = 50_000;

export interface PartResult {
  count: number;
  /** Where the next part of this type starts; absent when the type is done. */
  next?: string;
}

export interface PartRequest {
  scope: TypeScope;
  since?: string;
  after?: string;
  name: string;
  expiresAt: string;
  /** Called after each page (progress, cancellation). */
  onPage(count: number): Promise<void>;
  partLines?: number;
}

export async function writePart(data: DataAccess, files: FileStore, request: PartRequest): Promise<PartResult> {
  const limit = request.partLines ?? PART_LINES;
  const state: PartResult = { count: 0 };
  // The first page is read before a file is opened: an empty type (most of R4's at the system
  // level) costs one query and no file.
  let first: { versions: ResourceVersion[]; next?: string } | undefined = await readPage(data, request, request.after, Math.min(PAGE_SIZE, limit));
  if (!first.versions.length && first.next === undefined) return state;
  let cursor = request.after;
  let more = true;
  async function* lines(): AsyncIterable<string> {
    while (more && state.count < limit) {
      const page = first ?? (await readPage(data, request, cursor, Math.min(PAGE_SIZE, limit - state.count)));
      first = undefined;
      for (const v of page.versions) yield `${v.json}\n`;
      state.count += page.versions.length;
      cursor = page.next;
      more = page.next !== undefined;
      await request.onPage(state.count);
    }
  }
  await files.write(request.name, lines(), { expiresAt: request.expiresAt });
  return { count: state.count, ...(more ? { next: cursor } : {}) };
}

async function readPage(data: DataAccess, request: PartRequest, after: string | undefined, limit: number): Promise<{ versions: ResourceVersion[]; next?: string }> {
  const { scope, since } = request;
  if (!scope.where) {
    return data.scanPage({ resourceType: scope.type, limit, ...(after ? { after } : {}), ...(since ? { since } : {}) });
  }
  const where = [...scope.where];
  if (since) {
    const t = Date.parse(since);
    where.push({ kind: 'range', valueKind: 'date', param: '_lastUpdated', prefix: 'ge', low: t, high: t + 1 });
  }
  const result = await data.search({ resourceTypes: [scope.type], where, sort: [], count: limit, ...(after ? { cursor: after } : {}), total: 'none', include: [], revinclude: [] });
  return { versions: result.matches, ...(result.nextCursor ? { next: result.nextCursor } : {}) };
}
