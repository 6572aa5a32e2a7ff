// Per-process caches of state that every server process shares (signing keys, registered clients,
// runtime SearchParameters, stored profiles…), invalidated across processes by a version check.
//
// The state itself lives in the database (resources or SystemStore documents); a process keeps a
// copy because loading it on every request would cost a query or more. Whoever changes the state
// calls `invalidate()` after the change is stored: that bumps a small version document (the
// SystemStore's `rev`, in collection `shared_cache_versions`, key = the cache's name). Every other
// process compares that `rev` with the one its copy was loaded at — one read by `_id` of a tiny
// document, at most once per `checkEveryMs` — and reloads when it differs.
//
// Staleness bound: a change made (and invalidated) by one process is seen by every other process's
// next `get()` that starts more than `checkEveryMs` after `invalidate()` returned (default 2 s;
// each cache states its own). The process that invalidates sees it at once. The version document
// is never deleted, so its `rev` only grows. Change streams
// (where the deployment has them; FerretDB has none) could push the bump instead of polling; the
// poll is kept as the one mechanism because it works on every deployment and SQLite, and its cost
// is one point read per cache per interval per process.
//
// How a feature uses it:
//   const clients = new SharedCache(engine.system, 'registered-clients', () => loadClients(engine));
//   await clients.get();          // on each request: the copy, re-checked at most every 2 s
//   await clients.check();        // when the copy lacks something it should have: check now
//   await store(...); await clients.invalidate();   // after a change, in the process making it
import type { SystemStore } from './engine';

export const SHARED_CACHE_COLLECTION = 'shared_cache_versions';
export const DEFAULT_SHARED_CACHE_CHECK_MS = 2000;

export interface SharedCacheOptions {
  /** How long a copy is used without asking the database whether it changed (the staleness bound). */
  checkEveryMs?: number;
  /** Milliseconds now (tests move it instead of sleeping). */
  now?: () => number;
}

export class SharedCache<T> {
  private value: { data: T; rev: number } | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  /** One load or check at a time: concurrent callers share it instead of each querying. */
  private pending: Promise<T> | undefined;
  private readonly checkEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: SystemStore,
    readonly name: string,
    private readonly load: () => Promise<T>,
    options: SharedCacheOptions = {},
  ) {
    this.checkEveryMs = options.checkEveryMs ?? DEFAULT_SHARED_CACHE_CHECK_MS;
    this.now = options.now ?? Date.now;
  }

  /** The state, as loaded at most `checkEveryMs` ago or reloaded now because another process changed it. */
  get(): Promise<T> {
    if (this.value && this.now() - this.checkedAt < this.checkEveryMs) return Promise.resolve(this.value.data);
    this.pending ??= this.refresh().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /**
   * Checks the version now, whatever the interval: for a caller that has a cheap tell that its copy
   * is missing something (a token signed by a key it does not hold), rather than wait it out.
   */
  check(): Promise<T> {
    this.checkedAt = Number.NEGATIVE_INFINITY;
    return this.get();
  }

  /** Tells every process (this one at once) that the state changed; call after the change is stored. */
  async invalidate(): Promise<void> {
    const changedAt = new Date(this.now()).toISOString();
    // Compare-and-set on the version document: a lost race means another process bumped it just
    // now, which is as good (its rev differs from every copy loaded before it), but try again so
    // this call's bump is certain to be after its caller's change.
    for (let attempt = 0; attempt < 20; attempt++) {
      const doc = await this.store.get<{ changedAt: string }>(SHARED_CACHE_COLLECTION, this.name);
      const done = doc ? await this.store.replace(SHARED_CACHE_COLLECTION, this.name, { changedAt }, doc.rev) : await this.store.insert(SHARED_CACHE_COLLECTION, this.name, { changedAt });
      if (done) break;
    }
    this.value = undefined;
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private async currentRev(): Promise<number> {
    return (await this.store.get(SHARED_CACHE_COLLECTION, this.name))?.rev ?? 0;
  }

  private async refresh(): Promise<T> {
    const startedAt = this.now();
    // The rev is read before loading: a change that lands during the load leaves a newer rev,
    // so the next check reloads again rather than keeping a copy older than its label.
    const rev = await this.currentRev();
    if (!this.value || this.value.rev !== rev) this.value = { data: await this.load(), rev };
    this.checkedAt = startedAt;
    return this.value.data;
  }
}
