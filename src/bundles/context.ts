// What processing a batch or transaction needs besides the Bundle itself, taken from the request
// context: the caller's door to the data, the services, the criteria matcher (conditional
// interactions), the search runner (GET entries with criteria), the server's settings, the base
// URL and the Prefer choice for entry responses.
import type { DataAccess } from '../access/data-access';
import type { RequestContext } from '../context/request-context';
import type { CriteriaMatcher } from '../interactions/conditional';
import type { Services } from '../interactions/services';
import type { EntryReturn } from './entry-response';
import { searchRunner, type SearchRunner } from './entry-reads';

export interface BundleContext {
  request: RequestContext;
  data: DataAccess;
  services: Services;
  matcher: CriteriaMatcher;
  search: SearchRunner;
  allowMultipleDelete: boolean;
  maxBundleEntries: number;
  /** Base URL for fullUrl/location of response entries, and to recognise absolute references to this server. */
  base: string;
  ret: EntryReturn;
}

export function bundleContext(request: RequestContext, ret: EntryReturn): BundleContext {
  const { services } = request;
  return {
    request,
    data: request.data,
    services: services.core,
    matcher: services.matcher,
    search: searchRunner(services.search),
    allowMultipleDelete: services.config.allowMultipleDelete,
    maxBundleEntries: services.config.maxBundleEntries,
    base: request.baseUrl,
    ret,
  };
}
