// Engine conformance: the SystemStore (the server's own documents — jobs, keys, clients …) behaves
// the same on every engine: compare-and-set by rev, expiry, key-ordered listing, and exactly one
// winner among concurrent writers of one key.
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';

const PAST = '2000-01-01T00:00:00.000Z';
const FUTURE = '2999-01-01T00:00:00.000Z';

describeEachEngine('engine SystemStore', (factory) => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await factory.make();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('stores a JSON value exactly and reads it back with rev 1', async () => {
    const value = { state: 'running', 'a.b': 1, $where: 'kept as data', ratio: 1.5, big: 12345678901234.25, nested: [{ x: null }, 'Zoë — 患者'] };
    expect(await engine.system.insert('jobs', 'job-1', value)).toBe(true);
    expect(await engine.system.get('jobs', 'job-1')).toEqual({ key: 'job-1', rev: 1, value });
    expect(await engine.system.get('jobs', 'job-2')).toBeUndefined();
    // Collections are separate namespaces.
    expect(await engine.system.get('clients', 'job-1')).toBeUndefined();
    expect(await engine.system.insert('clients', 'job-1', 'other')).toBe(true);
    expect((await engine.system.get('jobs', 'job-1'))?.value).toEqual(value);
  });

  it('refuses to insert over a live document and leaves it unchanged', async () => {
    expect(await engine.system.insert('jobs', 'k', { n: 1 })).toBe(true);
    expect(await engine.system.insert('jobs', 'k', { n: 2 })).toBe(false);
    expect(await engine.system.get('jobs', 'k')).toEqual({ key: 'k', rev: 1, value: { n: 1 } });
  });

  it('replaces only at the expected rev, counting revs up', async () => {
    expect(await engine.system.replace('jobs', 'k', { n: 0 }, 1)).toBe(false); // absent
    await engine.system.insert('jobs', 'k', { n: 1 });
    expect(await engine.system.replace('jobs', 'k', { n: 2 }, 1)).toBe(true);
    expect(await engine.system.replace('jobs', 'k', { n: 3 }, 1)).toBe(false); // stale
    expect(await engine.system.replace('jobs', 'k', { n: 3 }, 2)).toBe(true);
    expect(await engine.system.get('jobs', 'k')).toEqual({ key: 'k', rev: 3, value: { n: 3 } });
  });

  it('deletes, optionally only at the expected rev', async () => {
    expect(await engine.system.delete('jobs', 'k')).toBe(false);
    await engine.system.insert('jobs', 'k', 1);
    await engine.system.replace('jobs', 'k', 2, 1);
    expect(await engine.system.delete('jobs', 'k', 1)).toBe(false);
    expect(await engine.system.get('jobs', 'k')).toMatchObject({ rev: 2 });
    expect(await engine.system.delete('jobs', 'k', 2)).toBe(true);
    expect(await engine.system.get('jobs', 'k')).toBeUndefined();
    expect(await engine.system.delete('jobs', 'k')).toBe(false);
    // Gone means gone: the key can be inserted again, starting over at rev 1.
    expect(await engine.system.insert('jobs', 'k', 3)).toBe(true);
    expect(await engine.system.get('jobs', 'k')).toEqual({ key: 'k', rev: 1, value: 3 });
    expect(await engine.system.delete('jobs', 'k')).toBe(true);
  });

  it('treats an expired document as absent everywhere, and keeps the expiry of a live one', async () => {
    expect(await engine.system.insert('tokens', 'old', { t: 1 }, { expiresAt: PAST })).toBe(true);
    expect(await engine.system.get('tokens', 'old')).toBeUndefined();
    expect(await engine.system.list('tokens', { limit: 10 })).toEqual([]);
    expect(await engine.system.replace('tokens', 'old', { t: 2 }, 1)).toBe(false);
    expect(await engine.system.delete('tokens', 'old')).toBe(false);
    // Insert takes the expired document's place.
    expect(await engine.system.insert('tokens', 'old', { t: 3 })).toBe(true);
    expect(await engine.system.get('tokens', 'old')).toEqual({ key: 'old', rev: 1, value: { t: 3 } });

    // Stored in UTC with milliseconds, whatever offset it was given in.
    await engine.system.insert('tokens', 'live', { t: 4 }, { expiresAt: '2999-01-01T00:00:00+01:00' });
    expect(await engine.system.get('tokens', 'live')).toEqual({ key: 'live', rev: 1, value: { t: 4 }, expiresAt: '2998-12-31T23:00:00.000Z' });
    // A replace sets (or clears) the expiry.
    expect(await engine.system.replace('tokens', 'live', { t: 5 }, 1)).toBe(true);
    expect(await engine.system.get('tokens', 'live')).toEqual({ key: 'live', rev: 2, value: { t: 5 } });
    expect(await engine.system.replace('tokens', 'live', { t: 6 }, 2, { expiresAt: PAST })).toBe(true);
    expect(await engine.system.get('tokens', 'live')).toBeUndefined();
  });

  it('lists in key order with prefix, after and limit, taking every character literally', async () => {
    const keys = ['b/2', 'a/1', 'a/3', 'a/2', 'a%x', 'a_y', 'a.*', 'c'];
    for (const k of keys) await engine.system.insert('launch', k, { k });
    await engine.system.insert('launch', 'a/9', { k: 'a/9' }, { expiresAt: PAST });
    await engine.system.insert('other', 'a/0', { k: 'elsewhere' });
    const list = async (o: { prefix?: string; after?: string; limit: number }) => (await engine.system.list<{ k: string }>('launch', o)).map((d) => d.key);
    expect(await list({ limit: 100 })).toEqual([...keys].sort());
    expect(await list({ prefix: 'a/', limit: 100 })).toEqual(['a/1', 'a/2', 'a/3']);
    expect(await list({ prefix: 'a/', limit: 2 })).toEqual(['a/1', 'a/2']);
    expect(await list({ prefix: 'a/', after: 'a/2', limit: 2 })).toEqual(['a/3']);
    expect(await list({ after: 'a_y', limit: 100 })).toEqual(['b/2', 'c']);
    expect(await list({ prefix: 'a%', limit: 100 })).toEqual(['a%x']);
    expect(await list({ prefix: 'a_', limit: 100 })).toEqual(['a_y']);
    expect(await list({ prefix: 'a.', limit: 100 })).toEqual(['a.*']);
    expect(await list({ prefix: 'zz', limit: 100 })).toEqual([]);
    const docs = await engine.system.list<{ k: string }>('launch', { prefix: 'c', limit: 1 });
    expect(docs).toEqual([{ key: 'c', rev: 1, value: { k: 'c' } }]);
  });

  it('lets exactly one of many concurrent inserts of one key win', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.system.insert('locks', 'migration', { owner: i })));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await engine.system.get('locks', 'migration')).toEqual({ key: 'migration', rev: 1, value: { owner: winner } });
  });

  it('lets exactly one of many concurrent replaces at one rev win, and loses no increment of a CAS loop', async () => {
    await engine.system.insert('counters', 'c', { n: 0 });
    const once = await Promise.all(Array.from({ length: 10 }, (_, i) => engine.system.replace('counters', 'c', { n: 0, by: i }, 1)));
    expect(once.filter(Boolean)).toHaveLength(1);

    await engine.system.insert('counters', 'loop', { n: 0 });
    const increment = async () => {
      for (;;) {
        const doc = (await engine.system.get<{ n: number }>('counters', 'loop'))!;
        if (await engine.system.replace('counters', 'loop', { n: doc.value.n + 1 }, doc.rev)) return;
      }
    };
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 4; i++) await increment();
    }));
    expect(await engine.system.get('counters', 'loop')).toEqual({ key: 'loop', rev: 33, value: { n: 32 } });
  });

  it('refuses names and keys it cannot store faithfully', async () => {
    await expect(engine.system.get('has/slash', 'k')).rejects.toThrow(/collection/);
    await expect(engine.system.insert('', 'k', 1)).rejects.toThrow(/collection/);
    await expect(engine.system.insert('jobs', '', 1)).rejects.toThrow(/key/);
    await expect(engine.system.insert('jobs', 'x'.repeat(513), 1)).rejects.toThrow(/key/);
    await expect(engine.system.insert('jobs', 'k', undefined)).rejects.toThrow(/JSON/);
    await expect(engine.system.insert('jobs', 'k', 1, { expiresAt: 'tomorrow' })).rejects.toThrow(/expiresAt/);
    await expect(engine.system.list('jobs', { limit: 0 })).rejects.toThrow(/limit/);
    expect(await engine.system.get('jobs', 'k')).toBeUndefined();
  });
});
