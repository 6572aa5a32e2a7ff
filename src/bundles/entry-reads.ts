// GET and HEAD entries of a batch or transaction: read, vread, history and search, with the
// entry's ifNoneMatch / ifModifiedSince answered as 304 like the HTTP headers would be.
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import { bundle, historyEntry } from '../fhir/bundle';
import { parseETag, readIn, vreadIn } from '../interactions/crud';
import type { Services } from '../interactions/services';
import type { EngineReader, ResourceVersion } from '../storage/engine';
import type { EntryRequest } from './entry-request';
import { parseSearchQuery } from '../search/parse-query';
import { searchsetBundle } from '../search/bundle';
import type { SearchServices } from '../search/service';
import { readEntry, resourceEntry } from './entry-response';

/** Runs a `[type]?query` search inside a Bundle, through `reader` (in a transaction: its own writes included). */
export type SearchRunner = (reader: EngineReader, type: string, query: string, base: string) => Promise<Bundle>;

/** The search module's parser and searchset builder over a given reader. */
export function searchRunner(search: Pick<SearchServices, 'registry' | 'terminology' | 'defaultCount' | 'maxCount' | 'now'>): SearchRunner {
  return async (reader, type, query, base) => {
    const parsed = parseSearchQuery(search.registry, [...new URLSearchParams(query)], {
      resourceTypes: [type],
      defaultCount: search.defaultCount,
      maxCount: search.maxCount,
      now: search.now(),
      baseUrl: base,
      terminology: search.terminology,
    });
    const result = await reader.search(parsed.plan);
    return searchsetBundle(parsed, result, { baseUrl: base, path: type, model: search.registry.model });
  };
}

const HISTORY_PAGE = 100;

function notModified(e: EntryRequest, v: ResourceVersion): boolean {
  if (e.ifNoneMatch !== undefined) return e.ifNoneMatch.split(',').some((t) => t.trim() === '*' || parseETag(t) === String(v.versionId));
  if (e.ifModifiedSince !== undefined) {
    const since = Date.parse(e.ifModifiedSince);
    if (!Number.isNaN(since)) return Date.parse(v.lastUpdated) <= since;
  }
  return false;
}

export async function readEntryIn(
  reader: EngineReader,
  services: Services,
  search: SearchRunner | undefined,
  e: EntryRequest,
  base: string,
): Promise<BundleEntry> {
  const withBody = e.method === 'GET';
  if (e.type && e.id && !e.history) {
    const v = e.vid ? await vreadIn(reader, services, e.type, e.id, e.vid) : await readIn(reader, services, e.type, e.id);
    return readEntry(base, v, notModified(e, v) ? 304 : 200, withBody);
  }
  if (e.history) {
    const page = await services.engine.history({ resourceType: e.type, id: e.id, count: HISTORY_PAGE });
    const result = bundle('history', page.versions.map((v) => historyEntry(base, v)), { total: page.total });
    return resourceEntry(200, withBody ? result : undefined);
  }
  if (!search) throw errors.notSupported('search inside a Bundle needs the search module, which this server build does not provide yet');
  const result = await search(reader, e.type!, e.query ?? '', base);
  return resourceEntry(200, withBody ? result : undefined);
}
