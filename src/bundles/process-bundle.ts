// Entry point for `POST [base]` with a Bundle: checks the envelope and limits, then hands the
// entries to the batch or the transaction processor.
import type { Bundle } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/errors';
import type { BundleContext } from './context';
import { parseBundle, parseEntry } from './entry-request';
import { processBatch } from './batch';
import { processTransaction } from './transaction';

export async function processBundle(ctx: BundleContext, body: unknown): Promise<Bundle> {
  const parsed = parseBundle(body, { maxEntries: ctx.maxBundleEntries });
  const definitions = ctx.services.definitions;
  if (parsed.type === 'transaction') {
    // Any malformed entry fails the transaction before anything is written.
    return processTransaction(ctx, parsed.entries.map((e, i) => parseEntry(e, i, definitions)));
  }
  const entries = parsed.entries.map((e, i) => {
    try {
      return parseEntry(e, i, definitions);
    } catch (err) {
      if (err instanceof FhirError) return err;
      throw err;
    }
  });
  return processBatch(ctx, entries);
}
