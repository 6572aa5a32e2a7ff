// Seam between the SQLite engine and the search work (issue 3): writes the IndexValues of a
// resource's current version into the index tables (in the caller's transaction) and answers
// SearchPlans. PLACEHOLDER until the search module lands: it stores nothing and refuses search.
import type Database from 'better-sqlite3';
import type { IndexValues } from '../../search/index-values';
import type { SearchPlan, SearchResult } from '../../search/plan';
import { errors } from '../../fhir/errors';

export class SqliteIndexStore {
  constructor(private readonly db: Database.Database) {}

  /** Replaces the index rows of resource `rid` (undefined: the resource was deleted). */
  replace(_rid: number, _index: IndexValues | undefined): void {
    void this.db;
  }

  search(_plan: SearchPlan): SearchResult {
    throw errors.notSupported('search is not available yet');
  }
}
