// Shared test helpers for search: one registry/indexer per test file (building them is the slow
// part), loading resources into any Engine with their IndexValues, and running query strings.
import type { Resource } from '@medplum/fhirtypes';
import type { Engine, ResourceVersion } from '../../src/storage/engine';
import { createSearchRegistry, type SearchRegistry } from '../../src/search/registry';
import { createIndexer, type Indexer } from '../../src/search/indexer';
import { BundledTerminology } from '../../src/search/terminology';
import { parseSearchQuery, type ParsedSearch } from '../../src/search/parse-query';
import type { SearchResult } from '../../src/search/plan';

export const BASE_URL = 'http://nimbus.test/fhir';
/** Fixed "now" for `ap` on dates and for lastUpdated stamps. */
export const NOW = Date.parse('2025-01-01T00:00:00Z');

let shared: { registry: SearchRegistry; indexer: Indexer; terminology: BundledTerminology } | undefined;
export function searchKit() {
  if (!shared) {
    const registry = createSearchRegistry();
    shared = { registry, indexer: createIndexer(registry, { baseUrl: BASE_URL }), terminology: new BundledTerminology() };
  }
  return shared;
}

export function parse(resourceType: string | string[], qs: string, options: { lenient?: boolean; count?: number } = {}): ParsedSearch {
  const kit = searchKit();
  return parseSearchQuery(kit.registry, [...new URLSearchParams(qs)], {
    resourceTypes: Array.isArray(resourceType) ? resourceType : [resourceType],
    lenient: options.lenient,
    defaultCount: options.count ?? 100,
    maxCount: 1000,
    now: NOW,
    baseUrl: BASE_URL,
    terminology: kit.terminology,
    systemLevel: Array.isArray(resourceType),
  });
}

let stamp = 0;
/** Writes resources (as new versions) with their index values, in one transaction. */
export async function put(engine: Engine, ...resources: Resource[]): Promise<void> {
  const kit = searchKit();
  await engine.transaction(async (tx) => {
    for (const r of resources) {
      const current = await tx.read(r.resourceType, r.id!);
      const versionId = (current?.versionId ?? 0) + 1;
      const lastUpdated = new Date(NOW + ++stamp * 1000).toISOString();
      const withMeta = { ...r, meta: { ...(r.meta ?? {}), versionId: String(versionId), lastUpdated } } as Resource;
      await tx.write({
        resourceType: r.resourceType,
        id: r.id!,
        versionId,
        lastUpdated,
        deleted: false,
        json: JSON.stringify(withMeta),
        index: kit.indexer(withMeta),
      });
    }
  });
}

export async function remove(engine: Engine, type: string, id: string): Promise<void> {
  await engine.transaction(async (tx) => {
    const current = await tx.read(type, id);
    await tx.write({ resourceType: type, id, versionId: (current?.versionId ?? 0) + 1, lastUpdated: new Date(NOW + ++stamp * 1000).toISOString(), deleted: true });
  });
}

export async function run(engine: Engine, type: string | string[], qs: string, options: { lenient?: boolean; count?: number } = {}): Promise<SearchResult> {
  return engine.search(parse(type, qs, options).plan);
}

/** Ids of the matches, in result order. */
export async function ids(engine: Engine, type: string | string[], qs: string): Promise<string[]> {
  return (await run(engine, type, qs)).matches.map((m: ResourceVersion) => m.id);
}

export const sorted = (a: string[]) => [...a].sort();
