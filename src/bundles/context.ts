// What processing a batch or transaction needs besides the Bundle itself: the services, the
// criteria matcher (conditional interactions), the search runner (GET entries with criteria), the
// server's settings and the per-request base URL and Prefer choice.
import type { CriteriaMatcher } from '../interactions/conditional';
import type { Services } from '../interactions/services';
import type { EntryReturn } from './entry-response';
import type { SearchRunner } from './entry-reads';

export interface BundleServices {
  services: Services;
  /** Absent until search is available: conditional entries are then refused with a clear 400. */
  matcher?: CriteriaMatcher;
  search?: SearchRunner;
  allowMultipleDelete: boolean;
  maxBundleEntries: number;
}

export interface BundleContext extends BundleServices {
  /** Base URL for fullUrl/location of response entries, and to recognise absolute references to this server. */
  base: string;
  ret: EntryReturn;
}
