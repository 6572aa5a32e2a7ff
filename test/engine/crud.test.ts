// Engine conformance: create/read/vread/delete, version ordering, transactions and scan, the same
// expectations for every engine (SQLite always, MongoDB when MONGODB_URI is set).
import { LOST_RACE_CODES } from '../../src/storage/engine';
import { FhirError } from '../../src/fhir/errors';
import type { Engine } from '../../src/storage/engine';
import { describeEachEngine } from '../support/engines';
import { deletion, instant, version } from './versions';

describeEachEngine('engine CRUD', (factory) => {
  let engine: Engine;
  beforeEach(async () => {
    engine = await factory.make();
  });
  afterEach(async () => {
    await engine.close();
  });

  it('reads back exactly the JSON text it stored, field order and numbers included', async () => {
    const body = {
      active: true,
      name: [{ family: 'Chalmers', given: ['Peter', 'James'] }],
      extension: [
        { url: 'http://example.org/decimal', valueDecimal: 1.5 },
        { url: 'http://example.org/integer', valueInteger: 2147483647 },
        { url: 'http://example.org/big', valueDecimal: 12345678901234.25 },
        { url: 'http://example.org/negative', valueDecimal: -0.001 },
        { url: 'http://example.org/tiny', valueDecimal: 1e-7 },
        { url: 'http://example.org/unicode', valueString: 'Zoë — 患者 \u2028' },
      ],
      _birthDate: { extension: [{ url: 'http://example.org/x', valueBoolean: false }] },
      birthDate: '1974-12-25',
    };
    const v = version('Patient', 'p1', 1, 1, body);
    await engine.transaction((tx) => tx.write(v));
    const read = await engine.read('Patient', 'p1');
    expect(read).toEqual({ resourceType: 'Patient', id: 'p1', versionId: 1, lastUpdated: instant(1), deleted: false, json: v.json });
  });

  it('returns undefined for an id never written', async () => {
    expect(await engine.read('Patient', 'nope')).toBeUndefined();
    expect(await engine.vread('Patient', 'nope', 1)).toBeUndefined();
  });

  it('keeps every version and makes the newest current', async () => {
    await engine.transaction((tx) => tx.write(version('Patient', 'p1', 1, 1, { gender: 'male' })));
    await engine.transaction((tx) => tx.write(version('Patient', 'p1', 2, 2, { gender: 'female' })));
    const current = await engine.read('Patient', 'p1');
    expect(current?.versionId).toBe(2);
    expect(JSON.parse(current!.json!).gender).toBe('female');
    expect(JSON.parse((await engine.vread('Patient', 'p1', 1))!.json!).gender).toBe('male');
    expect(await engine.vread('Patient', 'p1', 3)).toBeUndefined();
  });

  it('stores a delete as a version without content', async () => {
    await engine.transaction((tx) => tx.write(version('Observation', 'o1', 1, 1, { status: 'final' })));
    await engine.transaction((tx) => tx.write(deletion('Observation', 'o1', 2, 2)));
    const read = await engine.read('Observation', 'o1');
    expect(read).toEqual({ resourceType: 'Observation', id: 'o1', versionId: 2, lastUpdated: instant(2), deleted: true });
    expect((await engine.vread('Observation', 'o1', 1))?.deleted).toBe(false);
    // A resource can come back after a delete.
    await engine.transaction((tx) => tx.write(version('Observation', 'o1', 3, 3, { status: 'amended' })));
    expect((await engine.read('Observation', 'o1'))?.deleted).toBe(false);
  });

  it('refuses a version that is not newer than the current one', async () => {
    await engine.transaction((tx) => tx.write(version('Patient', 'p1', 1, 1)));
    await engine.transaction((tx) => tx.write(version('Patient', 'p1', 2, 2)));
    // A lost race by the contract's error codes (engine-errors.ts), so callers can tell it on any engine.
    for (const stale of [version('Patient', 'p1', 2, 3), version('Patient', 'p1', 1, 4)]) {
      const error = await engine.transaction((tx) => tx.write(stale)).then(
        () => undefined,
        (e: unknown) => e as { status?: number; errorCode?: string },
      );
      expect(error?.status).toBe(409);
      expect(LOST_RACE_CODES.has(error?.errorCode ?? '')).toBe(true);
    }
    const current = await engine.read('Patient', 'p1');
    expect(current?.versionId).toBe(2);
    expect(current?.lastUpdated).toBe(instant(2));
  });

  it('lets exactly one of two concurrent writers of the same version win', async () => {
    await engine.transaction((tx) => tx.write(version('Patient', 'p1', 1, 1)));
    const results = await Promise.allSettled([
      engine.transaction((tx) => tx.write(version('Patient', 'p1', 2, 2, { gender: 'male' }))),
      engine.transaction((tx) => tx.write(version('Patient', 'p1', 2, 3, { gender: 'female' }))),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const current = await engine.read('Patient', 'p1');
    expect(current?.versionId).toBe(2);
    const winner = results[0].status === 'fulfilled' ? 'male' : 'female';
    expect(JSON.parse(current!.json!).gender).toBe(winner);
    expect(JSON.parse((await engine.vread('Patient', 'p1', 2))!.json!).gender).toBe(winner);
  });

  it('lets a transaction read its own writes', async () => {
    const seen = await engine.transaction(async (tx) => {
      await tx.write(version('Patient', 'p1', 1, 1));
      return tx.read('Patient', 'p1');
    });
    expect(seen?.versionId).toBe(1);
  });

  it('rolls back every write of a failed atomic transaction, or refuses to start one', async () => {
    const attempt = engine.transaction(
      async (tx) => {
        await tx.write(version('Patient', 'a', 1, 1));
        await tx.write(version('Patient', 'b', 1, 1));
        throw new Error('entry 3 failed');
      },
      { requireAtomic: true },
    );
    if (engine.atomicTransactions) {
      await expect(attempt).rejects.toThrow('entry 3 failed');
    } else {
      // eslint-disable-next-line no-console
      console.log(`[engine ${factory.name}] no multi-document transactions here: checking the refusal instead of the rollback`);
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FhirError);
      expect((error as FhirError).message).toMatch(/replica set/);
    }
    expect(await engine.read('Patient', 'a')).toBeUndefined();
    expect(await engine.read('Patient', 'b')).toBeUndefined();
  });

  it('streams the live resources of one type in batches', async () => {
    for (let i = 0; i < 25; i++) await engine.transaction((tx) => tx.write(version('Patient', `p${String(i).padStart(2, '0')}`, 1, i)));
    await engine.transaction((tx) => tx.write(version('Observation', 'o1', 1, 1)));
    await engine.transaction((tx) => tx.write(deletion('Patient', 'p03', 2, 30)));
    const ids: string[] = [];
    for await (const v of engine.scan({ resourceType: 'Patient', batchSize: 7 })) ids.push(v.id);
    expect(ids).toHaveLength(24);
    expect(new Set(ids).size).toBe(24);
    expect(ids).not.toContain('p03');
    const recent: string[] = [];
    for await (const v of engine.scan({ resourceType: 'Patient', since: instant(20), batchSize: 2 })) recent.push(v.id);
    expect(recent.sort()).toEqual(['p20', 'p21', 'p22', 'p23', 'p24']);
  });

  it('answers the readiness probe', async () => {
    await expect(engine.ping()).resolves.toBeUndefined();
  });
});
