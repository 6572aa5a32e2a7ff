// $reindex (server-specific): recomputes the search index values of stored resources with the
// search parameters the server knows now — after a SearchParameter is added or changed, or after
// an upgrade that indexes differently. Pages through each type with a resumable cursor, rewrites
// each page's current versions in place (no new versions; a resource written meanwhile keeps the
// index its own write computed), and saves a resume point after every page.
import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../../context/request-context';
import { errors } from '../../fhir/errors';
import { parseStoredJson } from '../../fhir/json';
import { nimbusOperationDefinition } from '../nimbus-definitions';
import type { OperationCall, OperationModule, OperationResult } from '../types';

const DEFAULT_BATCH = 200;

/** Where a (possibly interrupted) reindex stands. */
interface ReindexCheckpoint {
  types: string[];
  /** Index into `types` of the type being walked, and the page cursor within it. */
  typeIndex: number;
  after?: string;
  reindexed: number;
  skipped: number;
  total: number;
}

export const reindexOperation: OperationModule = {
  definition: nimbusOperationDefinition('reindex'),
  affectsState: true,
  // Rewrites every resource of a type: administration, not a clinical write.
  requires: 'admin',
  async: 'allowed',
  resumable: true,
  handler: reindex,
  example: { setup: [{ resourceType: 'Basic', id: 'reindex-example', code: { text: 'example' } }], level: 'type', resourceType: 'Basic' },
};

async function reindex(call: OperationCall, ctx: RequestContext): Promise<OperationResult> {
  const { job, params, target } = call;
  const batch = params.number('batchSize') ?? DEFAULT_BATCH;
  if (batch > 1000) throw errors.invalidParam('batchSize', 'must be at most 1000');
  const state = (job.checkpoint as ReindexCheckpoint | undefined) ?? (await start(call, ctx));
  const { core } = ctx.services;
  while (state.typeIndex < state.types.length) {
    const resourceType = state.types[state.typeIndex];
    const page = await ctx.data.scanPage({ resourceType, after: state.after, limit: batch });
    // One page at once: the writes of a page share commits (SQLite group commit), which matters
    // more than anything else for the speed of a whole-store reindex.
    const written = await Promise.all(
      page.versions.map((v) => {
        const resource = parseStoredJson(v.json!) as Resource;
        return ctx.data.rewriteCurrent(v, { ...v, index: core.indexer(resource) });
      }),
    );
    for (const w of written) w ? state.reindexed++ : state.skipped++;
    if (page.next) state.after = page.next;
    else {
      state.typeIndex++;
      state.after = undefined;
    }
    await job.save(state, state.reindexed + state.skipped, state.total);
  }
  return { out: { reindexed: state.reindexed, skipped: state.skipped, types: state.types.length } };
}

/** The types to walk and how many resources they hold (for progress). */
async function start(call: OperationCall, ctx: RequestContext): Promise<ReindexCheckpoint> {
  const { definitions } = ctx.services.core;
  const requested = call.params.all<string>('_type').flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  if (requested.length && call.target.level !== 'system') throw errors.invalidParam('_type', 'is only for the system level; at the type level the type is in the URL');
  for (const t of requested) if (!definitions.isResourceType(t)) throw errors.invalidParam('_type', `'${t.slice(0, 64)}' is not an R4 resource type`);
  const types = call.target.level === 'type' ? [call.target.resourceType!] : requested.length ? [...new Set(requested)] : [...definitions.resourceTypes];
  let total = 0;
  for (const resourceType of types) {
    const counted = await ctx.data.search({ resourceTypes: [resourceType], where: [], sort: [], count: 0, total: 'accurate', include: [], revinclude: [] });
    total += counted.total ?? 0;
  }
  return { types, typeIndex: 0, reindexed: 0, skipped: 0, total };
}
