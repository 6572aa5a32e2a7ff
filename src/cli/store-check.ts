// The store check behind `nimbus-fhir check`, written once over the engine contract so that both
// engines are checked alike: the engine's own checks (storage integrity, orphan rows), then, type
// by type in pages, for every current version (delete markers included):
//   - the version is present in history (vread answers it, with the same content);
//   - its stored index values are exactly those the indexer derives from its content now (none
//     for a delete marker). A difference means a broken index, or search parameters that changed
//     since the resource was written: `$reindex` repairs both.
import type { Resource } from '@medplum/fhirtypes';
import { parseStoredJson } from '../fhir/json';
import type { Indexer } from '../search/indexer';
import type { IndexValues } from '../search/index-values';
import { INDEX_KINDS } from '../search/index-values';
import type { Engine, ResourceVersion } from '../storage/engine';

export interface CheckOptions {
  resourceTypes: readonly string[];
  indexer: Indexer;
  pageSize?: number;
  /** Problems listed in full; further ones are counted. */
  maxListed?: number;
  onProgress?: (checked: number) => void;
}

export interface CheckReport {
  /** Problems found (at most maxListed listed). */
  problems: string[];
  /** All problems, listed or not. */
  problemCount: number;
  resources: number;
  notes: string[];
}

export async function checkStore(engine: Engine, options: CheckOptions): Promise<CheckReport> {
  const maxListed = options.maxListed ?? 100;
  const report: CheckReport = { problems: [], problemCount: 0, resources: 0, notes: [] };
  const problem = (text: string) => {
    report.problemCount++;
    if (report.problems.length < maxListed) report.problems.push(text);
  };
  const storage = await engine.checkStorage();
  storage.problems.forEach(problem);
  report.notes.push(...storage.notes);
  for (const resourceType of options.resourceTypes) {
    let after: string | undefined;
    do {
      const page = await engine.scanPage({ resourceType, after, limit: options.pageSize ?? 500, includeDeleted: true });
      const stored = await engine.storedIndex(resourceType, page.versions.map((v) => v.id));
      for (const v of page.versions) {
        await checkVersion(engine, v, stored.get(v.id), options.indexer, problem);
        report.resources++;
      }
      options.onProgress?.(report.resources);
      after = page.next;
    } while (after);
  }
  return report;
}

async function checkVersion(engine: Engine, v: ResourceVersion, stored: IndexValues | undefined, indexer: CheckOptions['indexer'], problem: (text: string) => void): Promise<void> {
  const name = `${v.resourceType}/${v.id} (version ${v.versionId}${v.deleted ? ', deleted' : ''})`;
  const inHistory = await engine.vread(v.resourceType, v.id, v.versionId);
  if (!inHistory) problem(`${name}: the current version is missing from history`);
  else if (inHistory.deleted !== v.deleted || inHistory.json !== v.json) problem(`${name}: history holds different content for the current version`);
  let expected: IndexValues | undefined;
  if (!v.deleted) {
    try {
      expected = indexer(parseStoredJson(v.json ?? '') as Resource);
    } catch (e) {
      problem(`${name}: the stored content cannot be indexed (${(e as Error).message.slice(0, 200)})`);
      return;
    }
  }
  const want = entries(expected);
  const have = entries(stored);
  const missing = difference(want, have);
  const extra = difference(have, want);
  if (missing.length || extra.length) {
    const sample = (list: string[]) => list.slice(0, 3).join(', ') + (list.length > 3 ? ', …' : '');
    problem(
      `${name}: stored index values differ from the resource's (run $reindex)` +
        (missing.length ? `; ${missing.length} missing: ${sample(missing)}` : '') +
        (extra.length ? `; ${extra.length} unexpected: ${sample(extra)}` : ''),
    );
  }
}

/** Every entry as canonical text (`kind {sorted JSON}`); sort keys are derived, not compared.
 * `_content`/`_text` entries are compared without `e` (SQLite keeps only their folded text). */
function entries(index: IndexValues | undefined): string[] {
  if (!index) return [];
  const out: string[] = [];
  for (const kind of INDEX_KINDS) {
    for (const entry of index[kind] as unknown as Record<string, unknown>[]) {
      const e = kind === 'string' && (entry.p === '_content' || entry.p === '_text') ? { ...entry, e: undefined } : entry;
      out.push(`${kind} ${canonical(e)}`);
    }
  }
  return out.sort();
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined && (value as Record<string, unknown>)[k] !== null).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Multiset difference of two sorted lists. */
function difference(a: string[], b: string[]): string[] {
  const counts = new Map<string, number>();
  for (const x of b) counts.set(x, (counts.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = counts.get(x) ?? 0;
    if (n > 0) counts.set(x, n - 1);
    else out.push(x);
  }
  return out;
}
