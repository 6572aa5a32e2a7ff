// SearchParameters stored by clients (POST/PUT SearchParameter, status active) become searchable
// without a restart, in every server process:
// - a write of a SearchParameter is checked first: its expression must compile for every base
//   type (or the write is refused with an OperationOutcome);
// - once the write has committed, every process learns of it through the database (a SharedCache
//   over the stored SearchParameters, storage/shared-cache.ts); the registry then indexes new
//   writes with it at once;
// - the writing process starts a background $reindex job over the base types for the resources
//   stored before, and records it in the SystemStore; until that job is done, a search that uses
//   the parameter carries a warning (search.ts adds it to the Bundle as an outcome entry).
// Retiring (status other than active) or deleting the SearchParameter removes it the same way.
import { FhirError } from '../fhir/errors';
import type { Engine, EngineTransaction, VersionWrite } from '../storage/engine';
import { SharedCache, type SharedCacheOptions } from '../storage/shared-cache';
import { compileExpression } from './expression';
import type { SearchParameterResource, SearchRegistry } from './registry';

const JOBS_COLLECTION = 'search_parameter_reindex';
const TYPES = new Set(['number', 'date', 'string', 'token', 'reference', 'composite', 'quantity', 'uri', 'special']);

interface RuntimeState {
  definitions: SearchParameterResource[];
  /** Reindex job per SearchParameter url (the job that indexes what was stored before it). */
  jobs: Map<string, string>;
}

export interface RuntimeParameterHooks {
  /** Starts a background $reindex of these types; answers the job's id. */
  startReindex(types: string[]): Promise<string>;
  /** Whether the job has finished (completed, failed or gone). */
  jobFinished(jobId: string): Promise<boolean>;
  onError?(e: unknown): void;
}

export class RuntimeSearchParameters {
  private readonly cache: SharedCache<RuntimeState>;
  private applied: RuntimeState | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Jobs known to be finished (they never un-finish). */
  private readonly finished = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly registry: SearchRegistry,
    private readonly hooks: RuntimeParameterHooks,
    private readonly options: SharedCacheOptions = {},
  ) {
    this.cache = new SharedCache(engine.system, 'runtime-search-parameters', () => this.load(), options);
  }

  async sync(): Promise<void> {
    const state = await this.cache.get();
    if (state === this.applied) return;
    this.registry.setRuntime(state.definitions);
    this.applied = state;
  }

  /** Asks the database now (a search named a parameter this process does not know: another
   * process may just have added it). True when something changed. */
  async refresh(): Promise<boolean> {
    const before = this.applied;
    await this.cache.check();
    await this.sync();
    return this.applied !== before;
  }

  /**
   * Warnings for a search over these types using these parameter codes: one per parameter whose
   * reindex job is still running (resources stored before it was added may be missing).
   */
  async pendingWarnings(resourceTypes: string[], codes: string[]): Promise<string[]> {
    const state = this.applied;
    if (!state?.jobs.size) return [];
    const out: string[] = [];
    for (const code of new Set(codes)) {
      for (const type of resourceTypes) {
        const param = this.registry.param(type, code);
        const jobId = param && this.registry.isRuntime(param.url) ? state.jobs.get(param.url) : undefined;
        if (!jobId || this.finished.has(jobId)) continue;
        if (await this.hooks.jobFinished(jobId)) {
          this.finished.add(jobId);
          continue;
        }
        out.push(`The search parameter '${code}' (${param!.url}) was added recently and resources stored before it are still being indexed (job ${jobId}): results may be incomplete until that job is done`);
        break;
      }
    }
    return out;
  }

  /**
   * Watches transactions: a SearchParameter write is checked before it is stored; after the commit
   * every process is told and, for a parameter that now needs indexing, a reindex job starts.
   */
  watch(): void {
    const engine = this.engine;
    const original = engine.transaction.bind(engine);
    engine.transaction = async <T>(fn: (tx: EngineTransaction) => Promise<T>, options?: Parameters<Engine['transaction']>[1]): Promise<T> => {
      await this.sync();
      const written: Array<SearchParameterResource | undefined> = [];
      const result = await original((tx) => {
        const write = async (version: VersionWrite) => {
          if (version.resourceType === 'SearchParameter') {
            const sp = version.deleted || !version.json ? undefined : (JSON.parse(version.json) as SearchParameterResource);
            if (sp && sp.status === 'active') this.check(sp);
            written.push(sp);
          }
          return tx.write(version);
        };
        return fn(new Proxy(tx, {
          get(target, prop) {
            if (prop === 'write') return write;
            const v = Reflect.get(target, prop, target) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        }));
      }, options);
      if (written.length) await this.afterCommit(written);
      return result;
    };
  }

  /** Refuses a SearchParameter this server could not index: unknown type, no expression, or one
   * that does not compile for a base type. */
  check(sp: SearchParameterResource): void {
    const refuse = (why: string) => new FhirError(400, 'SEARCH_PARAMETER_INVALID', [{ severity: 'error', code: 'invalid', diagnostics: `SearchParameter ${sp.code ?? '(no code)'}: ${why}`, expression: ['SearchParameter.expression'] }]);
    if (!sp.code || !/^[A-Za-z0-9_][A-Za-z0-9_\-.]*$/.test(sp.code)) throw refuse('code must be a parameter name (letters, digits, - _ .)');
    if (!TYPES.has(sp.type)) throw refuse(`type '${String(sp.type)}' is not a search parameter type`);
    if (sp.type === 'composite' || sp.type === 'special') throw refuse(`a ${sp.type} parameter cannot be added at run time; use a parameter of a simple type`);
    if (!sp.expression) throw refuse('an expression is required for a parameter added at run time');
    for (const base of sp.base ?? []) {
      if (!this.registry.resourceTypes.has(base)) throw refuse(`base '${base}' is not a resource type`);
      let compiled;
      try {
        compiled = compileExpression(this.registry.model, sp.expression, base, { ancestors: ['Resource', 'DomainResource'] });
      } catch (e) {
        throw refuse(`the expression '${sp.expression.slice(0, 200)}' does not compile: ${(e as Error).message.slice(0, 200)}`);
      }
      if (!compiled) throw refuse(`the expression '${sp.expression.slice(0, 200)}' has no path that starts at ${base}`);
    }
  }

  private async afterCommit(written: Array<SearchParameterResource | undefined>): Promise<void> {
    const before = this.applied?.definitions ?? [];
    await this.cache.invalidate();
    await this.sync();
    for (const sp of written) {
      if (!sp || sp.status !== 'active' || !sp.url) continue;
      // Rewritten without a change to what it indexes (e.g. a new description): nothing to redo.
      const was = before.find((d) => d.url === sp.url);
      if (was && was.expression === sp.expression && was.type === sp.type && JSON.stringify(was.base) === JSON.stringify(sp.base)) continue;
      // A stored copy of a built-in parameter indexes nothing new.
      const builtIn = this.registry.builtInDefinition(sp.url);
      if (builtIn && builtIn.expression === sp.expression) continue;
      try {
        const jobId = await this.hooks.startReindex([...new Set(sp.base)]);
        const doc = await this.engine.system.get<{ jobId: string }>(JOBS_COLLECTION, sp.url);
        if (doc) await this.engine.system.replace(JOBS_COLLECTION, sp.url, { jobId }, doc.rev);
        else await this.engine.system.insert(JOBS_COLLECTION, sp.url, { jobId });
      } catch (e) {
        this.hooks.onError?.(e);
      }
    }
    await this.cache.invalidate();
    await this.sync();
  }

  start(everyMs = this.options.checkEveryMs ?? 2000): void {
    this.timer = setInterval(() => this.sync().catch((e) => this.hooks.onError?.(e)), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load(): Promise<RuntimeState> {
    const definitions: SearchParameterResource[] = [];
    let after: string | undefined;
    do {
      const page = await this.engine.scanPage({ resourceType: 'SearchParameter', after, limit: 200 });
      for (const v of page.versions) {
        if (v.deleted || !v.json) continue;
        const sp = JSON.parse(v.json) as SearchParameterResource;
        if (sp.status !== 'active' || !sp.url || !sp.code || !Array.isArray(sp.base)) continue;
        // Built-in parameters stored as resources (fhir-profiles/) are already known as they are.
        const builtIn = this.registry.builtInDefinition(sp.url);
        if (builtIn && builtIn.expression === sp.expression) continue;
        try {
          // One stored without this check (an older server, a raw import) must not break search.
          this.check(sp);
        } catch (e) {
          this.hooks.onError?.(e);
          continue;
        }
        definitions.push(sp);
      }
      after = page.next;
    } while (after);
    const jobs = new Map<string, string>();
    for (const sp of definitions) {
      const doc = await this.engine.system.get<{ jobId: string }>(JOBS_COLLECTION, sp.url);
      if (doc) jobs.set(sp.url, doc.value.jobId);
    }
    return { definitions, jobs };
  }
}
