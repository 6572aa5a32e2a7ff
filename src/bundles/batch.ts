// Batch Bundles (R4 http.html#transaction, batch): every entry is an independent interaction in
// its own engine transaction, so one entry's failure is reported in its response entry and does
// not affect the others. Entries may not depend on each other: a urn:uuid reference in a batch is
// refused for that entry.
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { errors, FhirError } from '../fhir/errors';
import { afterConcurrentWriters, deleteIn, updateIn } from '../interactions/crud';
import { operationEntry } from './entry-operations';
import { conditionalCreateIn, conditionalDeleteIn, conditionalUpdateIn, createWithIdIn, requireMatcher } from '../interactions/conditional';
import { conditionalPatchIn, patchFromBundleResource, patchIn } from '../interactions/patch';
import type { BundleContext } from './context';
import { atEntry, type EntryRequest } from './entry-request';
import { deleteEntry, errorEntry, writeEntry } from './entry-response';
import { readEntryIn } from './entry-reads';
import { BundleReferences } from './references';
import { unavailableFrom } from '../storage/unavailable';

async function runEntry(ctx: BundleContext, e: EntryRequest): Promise<BundleEntry> {
  const { services } = ctx;
  if (e.operation) return operationEntry(ctx.request, e);
  if (e.method === 'GET' || e.method === 'HEAD') return readEntryIn(ctx.data, services, ctx.search, e, ctx.base);
  if (e.resource && e.method !== 'PATCH') {
    // Resolves absolute references to this server to relative ones; a urn reference has no entry
    // to resolve to in a batch and fails here.
    new BundleReferences(ctx.base).rewrite(e.resource, e.fullUrl);
  }
  const type = e.type!;
  return afterConcurrentWriters({ ifMatch: e.ifMatch }, () => ctx.data.transaction(async (tx) => {
    switch (e.method) {
      case 'POST':
        return writeEntry(
          ctx.base,
          e.ifNoneExist
            ? await conditionalCreateIn(tx, services, requireMatcher(ctx.matcher), type, e.resource, e.ifNoneExist)
            : await createWithIdIn(tx, services, type, services.newId(), e.resource),
          ctx.ret,
        );
      case 'PUT':
        return writeEntry(
          ctx.base,
          e.id
            ? await updateIn(tx, services, type, e.id, e.resource, { ifMatch: e.ifMatch })
            : await conditionalUpdateIn(tx, services, requireMatcher(ctx.matcher), type, e.query!, e.resource, { ifMatch: e.ifMatch }),
          ctx.ret,
        );
      case 'PATCH': {
        const patch = patchFromBundleResource(e.resource);
        return writeEntry(
          ctx.base,
          e.id
            ? await patchIn(tx, services, type, e.id, patch, { ifMatch: e.ifMatch })
            : await conditionalPatchIn(tx, services, ctx.matcher, type, e.query!, patch, { ifMatch: e.ifMatch }),
          ctx.ret,
        );
      }
      case 'DELETE':
        return deleteEntry(
          ctx.base,
          e.id
            ? [await deleteIn(tx, services, type, e.id, { ifMatch: e.ifMatch })]
            : await conditionalDeleteIn(tx, services, requireMatcher(ctx.matcher), type, e.query!, { allowMultiple: ctx.allowMultipleDelete, ifMatch: e.ifMatch }),
          ctx.ret,
        );
      default:
        throw errors.badRequest(`unsupported method ${String(e.method)}`);
    }
  }));
}

/** Entries that could not even be parsed arrive as errors and are answered in place. */
export async function processBatch(ctx: BundleContext, entries: Array<EntryRequest | FhirError>): Promise<Bundle> {
  const { budget, services } = ctx.request;
  const out: BundleEntry[] = [];
  // Once the database is unavailable, the entries left are answered 503 without trying: the
  // response still tells exactly which entries were written before it went away.
  let unavailable: FhirError | undefined;
  // All entries share the request's time budget. When it is spent (or the client has gone) the
  // entries left are not run. If nothing was written yet the whole request is answered 503
  // (too-costly): nothing was done. If writes were committed, the batch-response still says which,
  // and the entries left are answered with the 503 of the budget.
  let wrote = false;
  let stopped: FhirError | undefined;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e instanceof FhirError) {
      out.push(errorEntry(e));
      continue;
    }
    if (unavailable || stopped) {
      out.push(errorEntry(unavailable ?? stopped!));
      continue;
    }
    try {
      budget.check();
    } catch (err) {
      stopped = err as FhirError;
      services.stats.bundleEntriesNotRun += entries.length - i;
      if (!wrote || budget.stopped === 'client-gone') throw err;
      out.push(errorEntry(stopped));
      continue;
    }
    try {
      services.stats.bundleEntriesRun++;
      out.push(await runEntry(ctx, e));
      if (e.method !== 'GET' && e.method !== 'HEAD') wrote = true;
    } catch (err) {
      if (budget.stopped) {
        // The entry was stopped by the budget: the next round reports it and the rest.
        i--;
        services.stats.bundleEntriesRun--;
        continue;
      }
      unavailable = unavailableFrom(err);
      if (unavailable) {
        out.push(errorEntry(unavailable));
        continue;
      }
      if (!(err instanceof FhirError) || err.status >= 500) throw err;
      out.push(errorEntry(atEntry(e, err)));
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', timestamp: ctx.services.clock.now().toISOString(), entry: out };
}
