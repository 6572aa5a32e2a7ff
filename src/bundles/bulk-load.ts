// Loads resources and Bundles in bulk (the `import` command): single resources are grouped into
// chunks written in one engine transaction each (one commit per chunk instead of per resource),
// keeping their ids so that re-importing an export is idempotent; a resource identical to the
// stored one is skipped rather than versioned again. Transaction and batch Bundles go through the
// same processors as `POST [base]`; collection/searchset/document Bundles are loaded entry by entry.
import type { Resource } from '@medplum/fhirtypes';
import { FhirError } from '../fhir/errors';
import { parseStoredJson } from '../fhir/json';
import { updateIn } from '../interactions/crud';
import { createWithIdIn } from '../interactions/conditional';
import { deepEqual, type Json } from '../interactions/patch-json';
import type { EngineTransaction } from '../storage/engine';
import type { BundleContext } from './context';
import { processBundle } from './process-bundle';

/** Where an item came from, for the report (file and 1-based line; entry index inside a Bundle). */
export interface SourcePosition {
  file: string;
  line: number;
  entry?: number;
}

export interface LoadFailure extends SourcePosition {
  reason: string;
}

export interface LoadTotals {
  loaded: number;
  skipped: number;
  failed: number;
}

interface Pending {
  resource: Record<string, unknown>;
  at: SourcePosition;
}

const DEFAULT_CHUNK = 500;
/** Failures kept with their reasons; beyond this only counted (memory stays bounded). */
const MAX_REPORTED_FAILURES = 1000;

function reasonOf(e: unknown): string {
  if (e instanceof FhirError) return e.issues.map((i) => i.diagnostics).join('; ').slice(0, 500);
  return `internal error: ${(e as Error)?.message ?? String(e)}`.slice(0, 500);
}

/** Same content apart from the server-owned meta (versionId, lastUpdated). */
function sameContent(storedJson: string, incoming: Record<string, unknown>): boolean {
  const strip = (r: Record<string, unknown>) => {
    const meta = { ...((r.meta as Record<string, unknown> | undefined) ?? {}) };
    delete meta.versionId;
    delete meta.lastUpdated;
    const { meta: _m, ...rest } = r;
    return (Object.keys(meta).length ? { ...rest, meta } : rest) as Json;
  };
  return deepEqual(strip(parseStoredJson(storedJson) as Record<string, unknown>), strip(incoming));
}

export class BulkLoader {
  readonly totals: LoadTotals = { loaded: 0, skipped: 0, failed: 0 };
  readonly failures: LoadFailure[] = [];
  private pending: Pending[] = [];

  constructor(
    /** An operator's context (the CLI's): full access, entries answered minimally. */
    private readonly deps: BundleContext,
    private readonly options: { chunkSize?: number } = {},
  ) {}

  private fail(at: SourcePosition, reason: string): void {
    this.totals.failed++;
    if (this.failures.length < MAX_REPORTED_FAILURES) this.failures.push({ ...at, reason });
  }

  /** One parsed JSON value from the input: a resource or a Bundle. */
  async add(value: unknown, at: SourcePosition): Promise<void> {
    if (!value || typeof value !== 'object' || Array.isArray(value) || typeof (value as { resourceType?: unknown }).resourceType !== 'string') {
      this.fail(at, 'not a FHIR resource (a JSON object with a resourceType)');
      return;
    }
    const resource = value as Record<string, unknown>;
    if (resource.resourceType === 'Bundle') await this.addBundle(resource, at);
    else await this.addResource(resource, at);
  }

  private async addResource(resource: Record<string, unknown>, at: SourcePosition): Promise<void> {
    this.pending.push({ resource, at });
    if (this.pending.length >= (this.options.chunkSize ?? DEFAULT_CHUNK)) await this.flush();
  }

  private async addBundle(bundle: Record<string, unknown>, at: SourcePosition): Promise<void> {
    const type = bundle.type;
    if (type === 'transaction' || type === 'batch') {
      await this.flush(); // keep the input's order: earlier resources are written first
      await this.processBundle(bundle, at);
      return;
    }
    const entries = Array.isArray(bundle.entry) ? (bundle.entry as Array<Record<string, unknown>>) : [];
    for (let i = 0; i < entries.length; i++) {
      const r = entries[i]?.resource as Record<string, unknown> | undefined;
      const where = { ...at, entry: i };
      // Search outcomes and similar messages are not data to load.
      if (r?.resourceType === 'OperationOutcome' && (entries[i].search as { mode?: string } | undefined)?.mode === 'outcome') {
        this.totals.skipped++;
        continue;
      }
      if (!r) this.fail(where, 'the entry has no resource');
      else await this.add(r, where);
    }
  }

  private async processBundle(bundle: Record<string, unknown>, at: SourcePosition): Promise<void> {
    const count = Array.isArray(bundle.entry) ? bundle.entry.length : 0;
    try {
      const result = await processBundle(this.deps, bundle);
      (result.entry ?? []).forEach((e, i) => {
        const status = Number.parseInt(e.response?.status ?? '', 10);
        if (status >= 400) this.fail({ ...at, entry: i }, e.response?.outcome?.issue?.map((x) => x.diagnostics).join('; ') ?? e.response!.status);
        else this.totals.loaded++;
      });
    } catch (e) {
      // A failed transaction writes nothing: all of its entries count as failed, with one reason.
      this.totals.failed += Math.max(count, 1) - 1;
      this.fail(at, `${bundle.type} Bundle of ${count} entries not loaded: ${reasonOf(e)}`);
    }
  }

  /** Writes the pending resources in one engine transaction. A resource that fails validation is
   * refused before it is written, so it does not spoil the rest of its chunk. */
  async flush(): Promise<void> {
    if (!this.pending.length) return;
    const chunk = this.pending;
    this.pending = [];
    const { services } = this.deps;
    let outcome: Array<'loaded' | 'skipped' | { reason: string }> = [];
    try {
      outcome = await this.deps.data.transaction(async (tx) => {
        const out: typeof outcome = [];
        for (const p of chunk) {
          try {
            out.push(await this.writeOne(tx, p.resource));
          } catch (e) {
            if (!(e instanceof FhirError)) throw e;
            out.push({ reason: reasonOf(e) });
          }
        }
        return out;
      });
    } catch (e) {
      outcome = chunk.map(() => ({ reason: `chunk not written: ${reasonOf(e)}` }));
    }
    outcome.forEach((o, i) => {
      if (o === 'loaded') this.totals.loaded++;
      else if (o === 'skipped') this.totals.skipped++;
      else this.fail(chunk[i].at, o.reason);
    });
  }

  private async writeOne(tx: EngineTransaction, resource: Record<string, unknown>): Promise<'loaded' | 'skipped'> {
    const { services } = this.deps;
    const type = resource.resourceType as string;
    const id = resource.id;
    if (typeof id !== 'string') {
      await createWithIdIn(tx, services, type, services.newId(), resource);
      return 'loaded';
    }
    const current = await tx.read(type, id);
    if (current && !current.deleted && current.json && sameContent(current.json, resource)) return 'skipped';
    await updateIn(tx, services, type, id, resource as unknown as Resource);
    return 'loaded';
  }
}
