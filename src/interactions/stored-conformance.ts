// CodeSystems, ValueSets, ConceptMaps and StructureDefinitions stored by clients (POST/PUT,
// transactions, `import`) or FHIR packages join the conformance registry, so $lookup, $expand, $validate-code, $translate, validation of writes
// and the search modifiers :in/:not-in/:above/:below use them like the bundled ones.
//
// The database is the truth every server process shares. Each process keeps the stored resources
// in its registry and reloads them through a SharedCache (storage/shared-cache.ts): a transaction
// that wrote one of these types bumps the cache's version after it commits, the writing process
// reloads at once, the others within the cache's check interval (on their next operation, write,
// or the background refresh that search relies on).
import { R4PackageSource, type ConformanceRegistry, type CanonicalResource, type ConformanceType } from '../fhir/validator/registry';
import type { Engine, EngineTransaction, VersionWrite } from '../storage/engine';
import { SharedCache, type SharedCacheOptions } from '../storage/shared-cache';

export const STORED_TERMINOLOGY_TYPES: readonly ConformanceType[] = ['CodeSystem', 'ValueSet', 'ConceptMap'];
/** The stored types this watch feeds into the registry: the terminology resources, and the
 * StructureDefinitions that FHIR packages (interactions/install-package.ts) and clients store, so a
 * profile installed through one process is enforced by every process. */
export const STORED_CONFORMANCE_TYPES: readonly ConformanceType[] = [...STORED_TERMINOLOGY_TYPES, 'StructureDefinition'];
const WATCHED = new Set<string>(STORED_CONFORMANCE_TYPES);
const PAGE = 100;
/** How far before the last load's newest write a reload starts reading (clock differences between
 * processes, a transaction that commits a while after its lastUpdated was taken). */
const RELOAD_MARGIN_MS = 60_000;
const FULL_RELOAD_MS = 10 * 60_000;

interface StoredEntry {
  versionId: number;
  resource: CanonicalResource;
}

export class StoredConformance {
  private readonly cache: SharedCache<Map<string, StoredEntry>>;
  /** What is in the registry now, by `type/id`; the map object last applied. */
  private applied = new Map<string, StoredEntry>();
  private appliedFrom: Map<string, StoredEntry> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The newest lastUpdated seen by the last load, and when the last full load started. */
  private watermark: string | undefined;
  private fullAt = Number.NEGATIVE_INFINITY;
  /** `Type/id/versionId` of stored versions left out of the registry (no url, an R4 core url). */
  private readonly ignored = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly registry: ConformanceRegistry,
    private readonly options: SharedCacheOptions & { onError?: (e: unknown) => void } = {},
  ) {
    this.cache = new SharedCache(engine.system, 'stored-conformance', () => this.load(), options);
  }

  /** Brings the registry up to date with the database (a no-op within the check interval). */
  async sync(): Promise<void> {
    this.apply(await this.cache.get());
  }

  /** Asks the database now, whatever the interval: for a caller that misses a code system, value
   * set or concept map another process may just have stored. */
  async refresh(): Promise<void> {
    this.apply(await this.cache.check());
  }

  private apply(loaded: Map<string, StoredEntry>): void {
    if (loaded === this.appliedFrom) return;
    for (const [key, old] of this.applied) {
      const now = loaded.get(key);
      if (!now || now.resource.url !== old.resource.url || now.resource.version !== old.resource.version) {
        this.registry.remove(old.resource.resourceType as ConformanceType, old.resource.url!, old.resource.version);
      }
    }
    for (const [key, entry] of loaded) {
      if (this.applied.get(key) !== entry) this.registry.add(entry.resource);
    }
    this.applied = loaded;
    this.appliedFrom = loaded;
  }

  /** After a committed write of a watched type: tell every process, and reload here at once. */
  async changed(): Promise<void> {
    await this.cache.invalidate();
    await this.sync();
  }

  /**
   * Watches the engine's transactions: one that writes a CodeSystem, ValueSet or ConceptMap calls
   * `changed()` once it has committed (not before: another process reloading between the bump and
   * the commit would miss the change until the next bump). Every transaction first syncs, so a
   * write is validated against the code systems other processes stored.
   */
  watch(): void {
    const engine = this.engine;
    const original = engine.transaction.bind(engine);
    engine.transaction = async <T>(fn: (tx: EngineTransaction) => Promise<T>, options?: Parameters<Engine['transaction']>[1]): Promise<T> => {
      await this.sync();
      let touched = false;
      const result = await original((tx) => {
        const write = async (version: VersionWrite) => {
          if (WATCHED.has(version.resourceType)) touched = true;
          return tx.write(version);
        };
        const watched = new Proxy(tx, {
          get(target, prop) {
            if (prop === 'write') return write;
            const v = Reflect.get(target, prop, target) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
        return fn(watched);
      }, options);
      if (touched) await this.changed();
      return result;
    };
  }

  /** Background refresh, so search in this process sees what other processes stored. */
  start(everyMs = this.options.checkEveryMs ?? 2000): void {
    this.timer = setInterval(() => this.sync().catch((e) => this.options.onError?.(e)), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Every current stored resource of the watched types. A reload after a change reads only what
   * was written since the last load (minus a margin for clocks and transactions still committing
   * then), so storing many conformance resources one by one (a package, `import`, the R4 examples)
   * does not re-read every stored StructureDefinition each time; a full read every FULL_RELOAD_MS
   * catches anything a margin could miss. Unchanged versions keep their parsed copy.
   */
  private async load(): Promise<Map<string, StoredEntry>> {
    const startedAt = Date.now();
    const full = this.watermark === undefined || startedAt - this.fullAt > FULL_RELOAD_MS;
    const since = full ? undefined : new Date(Date.parse(this.watermark!) - RELOAD_MARGIN_MS).toISOString();
    const out = full ? new Map<string, StoredEntry>() : new Map(this.applied);
    let newest = this.watermark ?? '';
    for (const resourceType of STORED_CONFORMANCE_TYPES) {
      let after: string | undefined;
      do {
        const page = await this.engine.scanPage({ resourceType, after, limit: PAGE, ...(since ? { since, includeDeleted: true } : {}) });
        for (const v of page.versions) {
          if (v.lastUpdated > newest) newest = v.lastUpdated;
          const key = `${resourceType}/${v.id}`;
          if (v.deleted || !v.json) {
            out.delete(key);
            continue;
          }
          const known = this.applied.get(key);
          if (known && known.versionId === v.versionId) {
            out.set(key, known);
            continue;
          }
          out.delete(key);
          if (this.ignored.has(`${key}/${v.versionId}`)) continue;
          const resource = JSON.parse(v.json) as CanonicalResource;
          // A stored StructureDefinition never replaces an R4 core definition (the base every
          // write is checked against): a client could otherwise switch validation off.
          if (typeof resource.url !== 'string' || (resourceType === 'StructureDefinition' && isCoreDefinition(resource.url))) {
            this.ignored.add(`${key}/${v.versionId}`);
            continue;
          }
          out.set(key, { versionId: v.versionId, resource });
        }
        after = page.next;
      } while (after);
    }
    if (full) this.fullAt = startedAt;
    // Nothing stored yet: the next load reads everything (cheap while there is nothing).
    this.watermark = newest || undefined;
    return out;
  }
}

let core: R4PackageSource | undefined;
/** Whether `url` is one of the R4 core StructureDefinitions (types, resources, core profiles). */
export function isCoreDefinition(url: string): boolean {
  core ??= new R4PackageSource();
  return core.find('StructureDefinition', url) !== undefined;
}
