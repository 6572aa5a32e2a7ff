// GET and HEAD entries of a batch or transaction: read, vread, history and search, with the
// entry's ifNoneMatch / ifModifiedSince answered as 304 like the HTTP headers would be.
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import { bundle, historyEntry } from '../fhir/bundle';
import { readIn, vreadIn } from '../interactions/crud';
import { notModified } from '../interactions/conditional-read';
import { assertResourceType } from '../interactions/resource-write';
import type { DataAccess } from '../access/data-access';
import type { Services } from '../interactions/services';
import type { EngineReader } from '../storage/engine';
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

/** What entry reads need: the transaction's reads (its own writes included) and the door's history. */
export type EntryReader = EngineReader & Pick<DataAccess, 'history'>;

export async function readEntryIn(reader: EntryReader, services: Services, search: SearchRunner, e: EntryRequest, base: string): Promise<BundleEntry> {
  const withBody = e.method === 'GET';
  if (e.type && e.id && !e.history) {
    const v = e.vid ? await vreadIn(reader, services, e.type, e.id, e.vid) : await readIn(reader, services, e.type, e.id);
    return readEntry(base, v, notModified(v, e) ? 304 : 200, withBody);
  }
  if (e.history) {
    if (e.type) assertResourceType(services, e.type);
    const page = await reader.history({ resourceType: e.type, id: e.id, count: HISTORY_PAGE });
    if (e.id && !page.versions.length && !(await reader.read(e.type!, e.id))) throw errors.notFound(e.type!, e.id);
    const result = bundle('history', page.versions.map((v) => historyEntry(base, v)), { total: page.total });
    return resourceEntry(200, withBody ? result : undefined);
  }
  const result = await search(reader, e.type!, e.query ?? '', base);
  return resourceEntry(200, withBody ? result : undefined);
}
