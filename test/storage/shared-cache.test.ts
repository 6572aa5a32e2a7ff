// SharedCache (src/storage/shared-cache.ts): a per-process copy of shared state, invalidated across
// processes by a version document in the SystemStore. On MongoDB, two engine instances (two
// clients, as two server processes have) over one database; on SQLite, which is one process per
// data directory by design, two caches over one engine. Time is a test clock: no sleeping.
import type { Engine } from '../../src/storage/engine';
import { SHARED_CACHE_COLLECTION, SharedCache } from '../../src/storage/shared-cache';
import { describeEachEngine } from '../support/engines';
import { makeEnginePair } from '../support/server-pair';

describeEachEngine('SharedCache across processes', (factory) => {
  let a: Engine;
  let b: Engine;
  let pair: Awaited<ReturnType<typeof makeEnginePair>>;
  beforeEach(async () => {
    pair = await makeEnginePair(factory, 'nimbus_test_cache');
    ({ engineA: a, engineB: b } = pair);
  });
  afterEach(() => pair.close());

  /** The shared state: a SystemStore document both "processes" read; loads are counted. */
  function cacheOn(engine: Engine, clock: { t: number }, loads: { n: number }) {
    return new SharedCache(
      engine.system,
      'test-clients',
      async () => {
        loads.n++;
        return (await engine.system.get<string[]>('clients', 'all'))?.value ?? [];
      },
      { checkEveryMs: 1000, now: () => clock.t },
    );
  }

  it('another process sees a change within the check interval, and not sooner than its next check', async () => {
    const clock = { t: 1_000_000 };
    const loadsA = { n: 0 };
    const loadsB = { n: 0 };
    const onA = cacheOn(a, clock, loadsA);
    const onB = cacheOn(b, clock, loadsB);
    await a.system.insert('clients', 'all', ['one']);
    expect(await onA.get()).toEqual(['one']);
    expect(await onB.get()).toEqual(['one']);

    // Process A changes the state and invalidates: A sees it at once.
    const doc = await a.system.get<string[]>('clients', 'all');
    await a.system.replace('clients', 'all', ['one', 'two'], doc!.rev);
    await onA.invalidate();
    expect(await onA.get()).toEqual(['one', 'two']);

    // B keeps its copy inside the interval (no database read at all)…
    clock.t += 999;
    expect(await onB.get()).toEqual(['one']);
    // …and reloads once the interval has passed.
    clock.t += 2;
    expect(await onB.get()).toEqual(['one', 'two']);
    expect(loadsB.n).toBe(2);

    // A caller that knows its copy lacks something checks at once, inside the interval.
    clock.t += 1000;
    expect(await onA.get()).toEqual(['one', 'two']); // checked just now: unchanged
    const again = await b.system.get<string[]>('clients', 'all');
    await b.system.replace('clients', 'all', ['one', 'two', 'three'], again!.rev);
    await onB.invalidate();
    clock.t += 1;
    expect(await onA.get()).toEqual(['one', 'two']);
    expect(await onA.check()).toEqual(['one', 'two', 'three']);
  });

  it('an unchanged version costs a check, never a reload', async () => {
    const clock = { t: 0 };
    const loads = { n: 0 };
    const cache = cacheOn(b, clock, loads);
    await cache.get();
    for (let i = 0; i < 5; i++) {
      clock.t += 5000;
      await cache.get();
    }
    expect(loads.n).toBe(1);
  });

  it('concurrent callers share one load; concurrent invalidations all leave a newer version', async () => {
    const clock = { t: 0 };
    const loads = { n: 0 };
    const cache = cacheOn(a, clock, loads);
    await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    expect(loads.n).toBe(1);
    const before = (await a.system.get(SHARED_CACHE_COLLECTION, 'test-clients'))?.rev ?? 0;
    const other = cacheOn(b, clock, { n: 0 });
    await Promise.all([cache.invalidate(), other.invalidate(), cache.invalidate(), other.invalidate()]);
    const after = (await b.system.get(SHARED_CACHE_COLLECTION, 'test-clients'))!.rev;
    expect(after).toBe(before + 4);
  });
});
