// Transaction Bundles (R4 http.html#transaction): all entries in one atomic engine transaction,
// processed in the order the specification prescribes — DELETE, then POST, then PUT/PATCH, then
// GET/HEAD — after every entry's server identity has been settled, so that references between
// entries can be rewritten before anything is written. The first failing entry aborts the whole
// transaction with an OperationOutcome naming that entry; nothing of it persists.
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { errors, FhirError } from '../fhir/errors';
import type { WriteOutcome } from '../interactions/crud';
import { updateIn, deleteIn } from '../interactions/crud';
import {
  conditionalDeleteTargets,
  createWithIdIn,
  existingOutcome,
  ifNoneExistIn,
  requireMatcher,
  resolveConditionalReference,
  resolveConditionalUpdateId,
} from '../interactions/conditional';
import { patchFromBundleResource, patchIn, type PatchDocument } from '../interactions/patch';
import { normaliseCriteria } from '../interactions/conditional';
import type { EngineTransaction, ResourceVersion } from '../storage/engine';
import type { BundleContext } from './context';
import { atEntry, type EntryRequest } from './entry-request';
import { deleteEntry, writeEntry } from './entry-response';
import { readEntryIn } from './entry-reads';
import { assertReadOnlyOperation, operationEntry } from './entry-operations';
import { transactionAccess } from '../access/data-access';
import { BundleReferences } from './references';

/** What a write entry resolved to before any write: its target, and for POST whether it exists. */
interface PlannedWrite {
  entry: EntryRequest;
  type: string;
  id: string;
  /** POST with ifNoneExist that matched: no write, answer with this version. */
  existing?: ResourceVersion;
  patch?: PatchDocument;
}

/** One step of one entry, inside the transaction. The request's time budget is checked first: a
 * transaction stopped midway is rolled back whole and answered 503 (client gone: nobody hears). */
async function step<T>(ctx: BundleContext, entry: EntryRequest, fn: () => Promise<T>): Promise<T> {
  try {
    ctx.request.budget.check();
    return await fn();
  } catch (e) {
    throw atEntry(entry, e);
  }
}

function checkFullUrls(entries: EntryRequest[]): void {
  const seen = new Map<string, number>();
  for (const e of entries) {
    if (!e.fullUrl) continue;
    const first = seen.get(e.fullUrl);
    if (first !== undefined) throw atEntry(e, errors.badRequest(`fullUrl '${e.fullUrl.slice(0, 120)}' is also the fullUrl of entry ${first}`));
    seen.set(e.fullUrl, e.index);
  }
}

/** R4: a resource may appear only once among the entries of a transaction (by identity). */
class Identities {
  private readonly seen = new Map<string, number>();
  claim(entry: EntryRequest, type: string, id: string): void {
    const key = `${type}/${id}`;
    const first = this.seen.get(key);
    if (first !== undefined && first !== entry.index) {
      throw atEntry(entry, errors.badRequest(`${key} is also the target of entry ${first}; a transaction may touch a resource only once`));
    }
    this.seen.set(key, entry.index);
  }
}

export async function processTransaction(ctx: BundleContext, entries: EntryRequest[]): Promise<Bundle> {
  checkFullUrls(entries);
  const { services } = ctx;
  const responses: BundleEntry[] = new Array(entries.length);
  // Operation entries are reads here (state-changing ones are refused); they run with the GETs.
  const byMethod = (...methods: string[]) => entries.filter((e) => !e.operation && methods.includes(e.method));
  for (const e of entries) {
    if (!e.operation) continue;
    try {
      assertReadOnlyOperation(ctx.request, e);
    } catch (err) {
      throw atEntry(e, err);
    }
  }

  await ctx.data.transaction(
    async (tx) => {
      const identities = new Identities();

      // 1. DELETE
      for (const e of byMethod('DELETE')) {
        responses[e.index] = await step(ctx, e, () => deleteStep(ctx, tx, e, identities));
      }

      // 2. Settle the identity of every POST / PUT / PATCH before writing any of them.
      const planned: PlannedWrite[] = [];
      for (const e of byMethod('POST', 'PUT', 'PATCH')) {
        const p = await step(ctx, e, () => plan(ctx, tx, e));
        identities.claim(e, p.type, p.id);
        planned.push(p);
      }

      // 3. Rewrite the links between entries (and conditional references) in POST/PUT bodies.
      const refs = new BundleReferences(ctx.base);
      for (const p of planned) {
        if (p.entry.method === 'PATCH') continue;
        const url = p.entry.resource?.url;
        refs.add(p.entry.fullUrl, { type: p.type, id: p.id, canonicalUrl: typeof url === 'string' ? url : undefined, renamed: p.entry.method === 'POST' });
      }
      for (const p of planned) {
        if (p.entry.method === 'PATCH' || p.existing) continue;
        const conditional = BundleReferences.conditionalReferences(p.entry.resource!);
        for (const reference of conditional) {
          const resolved = await step(ctx, p.entry, () => resolveConditionalReference(tx, services, requireMatcher(ctx.matcher), reference));
          refs.addConditional(reference, resolved);
        }
        await step(ctx, p.entry, async () => refs.rewrite(p.entry.resource!, p.entry.fullUrl));
      }

      // 4. POST, then PUT and PATCH, each answered in the entry's own position.
      for (const p of planned.filter((x) => x.entry.method === 'POST')) {
        responses[p.entry.index] = await step(ctx, p.entry, () => writeStep(ctx, tx, p));
      }
      for (const p of planned.filter((x) => x.entry.method !== 'POST')) {
        responses[p.entry.index] = await step(ctx, p.entry, () => writeStep(ctx, tx, p));
      }

      // 5. GET / HEAD see the transaction's own writes. A failed read changes nothing, so it is
      // reported in its entry instead of undoing the writes.
      const reader = { ...tx, history: ctx.data.history.bind(ctx.data) };
      const inTransaction = ctx.request.withData(transactionAccess(ctx.data, tx));
      for (const e of entries.filter((x) => x.operation || x.method === 'GET' || x.method === 'HEAD')) {
        ctx.request.budget.check();
        try {
          responses[e.index] = e.operation ? await operationEntry(inTransaction, e) : await readEntryIn(reader, services, ctx.search, e, ctx.base);
        } catch (err) {
          if (!(err instanceof FhirError) || err.status >= 500) throw err;
          responses[e.index] = { response: { status: `${err.status}`, outcome: atEntry(e, err).toOperationOutcome() } };
        }
      }
    },
    { requireAtomic: true },
  );
  return { resourceType: 'Bundle', type: 'transaction-response', timestamp: services.clock.now().toISOString(), entry: responses };
}

async function deleteStep(ctx: BundleContext, tx: EngineTransaction, e: EntryRequest, identities: Identities): Promise<BundleEntry> {
  const { services } = ctx;
  if (e.id) {
    identities.claim(e, e.type!, e.id);
    return deleteEntry(ctx.base, [await deleteIn(tx, services, e.type!, e.id, { ifMatch: e.ifMatch })], ctx.ret);
  }
  const targets = await conditionalDeleteTargets(tx, requireMatcher(ctx.matcher), e.type!, e.query!, { allowMultiple: ctx.allowMultipleDelete });
  const outcomes: WriteOutcome[] = [];
  for (const t of targets) {
    identities.claim(e, e.type!, t.id);
    outcomes.push(await deleteIn(tx, services, e.type!, t.id, { ifMatch: e.ifMatch }));
  }
  return deleteEntry(ctx.base, outcomes, ctx.ret);
}

async function plan(ctx: BundleContext, tx: EngineTransaction, e: EntryRequest): Promise<PlannedWrite> {
  const { services } = ctx;
  const type = e.type!;
  if (e.method === 'POST') {
    const existing = e.ifNoneExist ? await ifNoneExistIn(tx, requireMatcher(ctx.matcher), type, e.ifNoneExist) : undefined;
    return { entry: e, type, id: existing?.id ?? services.newId(), existing };
  }
  if (e.method === 'PUT') {
    const id = e.id ?? (await resolveConditionalUpdateId(tx, services, requireMatcher(ctx.matcher), type, e.query!, e.resource));
    return { entry: e, type, id };
  }
  const patch = patchFromBundleResource(e.resource);
  if (e.id) return { entry: e, type, id: e.id, patch };
  const found = await requireMatcher(ctx.matcher)(tx, type, normaliseCriteria(type, e.query!), 2);
  if (found.length === 0) throw errors.notFound(type, `?${e.query!.slice(0, 100)}`);
  if (found.length > 1) throw errors.preconditionFailed(`Conditional patch: the criteria match more than one ${type}`);
  return { entry: e, type, id: found[0].id, patch };
}

async function writeStep(ctx: BundleContext, tx: EngineTransaction, p: PlannedWrite): Promise<BundleEntry> {
  const { services } = ctx;
  const e = p.entry;
  let outcome: WriteOutcome;
  if (p.existing) outcome = existingOutcome(p.existing);
  else if (e.method === 'POST') outcome = await createWithIdIn(tx, services, p.type, p.id, e.resource);
  else if (e.method === 'PUT') {
    const body = e.resource!;
    // A conditional PUT may omit the id; an instance PUT must carry the URL's id (checked by updateIn).
    outcome = await updateIn(tx, services, p.type, p.id, e.id ? body : { ...body, id: p.id }, { ifMatch: e.ifMatch });
  } else outcome = await patchIn(tx, services, p.type, p.id, p.patch!, { ifMatch: e.ifMatch });
  return writeEntry(ctx.base, outcome, ctx.ret);
}
