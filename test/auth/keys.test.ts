// The signing keys in the SystemStore, on each engine: processes starting together agree on one
// key, a new period brings a new key while the previous one stays published (overlap), and tokens
// of either verify against the JWKS.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Engine } from '../../src/storage/engine';
import { localJwks, SIGNING_KEYS, TokenSigner } from '../../src/auth/keys';
import { describeEachEngine } from '../support/engines';

describeEachEngine('signing keys', (factory) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await factory.make();
  });
  afterAll(async () => engine?.close());

  it('signers that start together create one key; rotation keeps the previous key published until its overlap ends', async () => {
    const rotationMs = 3_600_000;
    const overlapMs = 600_000;
    // One second before a period ends: the token signed now must outlive its key's period.
    let now = (Math.floor(Date.now() / rotationMs) + 1) * rotationMs - 1000;
    const clock = () => now;
    // Five "processes" over one database, all finding no key at once.
    const signers = Array.from({ length: 5 }, () => new TokenSigner(engine.system, { rotationMs, overlapMs }, clock));
    const kids = new Set((await Promise.all(signers.map((s) => s.currentKey()))).map((k) => k.kid));
    expect(kids.size).toBe(1);
    expect((await localJwks(engine.system)).keys).toHaveLength(1);

    const oldToken = await signers[0].sign({ iss: 'x', exp: Math.floor(now / 1000) + 600 });
    now += 2000;
    const newToken = await signers[1].sign({ iss: 'x', exp: Math.floor(now / 1000) + 600 });
    const oldKid = decodeProtectedHeader(oldToken).kid;
    const newKid = decodeProtectedHeader(newToken).kid;
    expect(newKid).not.toBe(oldKid);
    // Every signer moves to the new key; the JWKS holds both, and both tokens verify.
    expect((await signers[3].currentKey()).kid).toBe(newKid);
    const jwks = await localJwks(engine.system);
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    const set = createLocalJWKSet(jwks);
    await expect(jwtVerify(oldToken, set, { currentDate: new Date(now) })).resolves.toBeDefined();
    await expect(jwtVerify(newToken, set, { currentDate: new Date(now) })).resolves.toBeDefined();
    // The old key's document expires at the end of its period plus the overlap.
    const docs = await engine.system.list<{ kid: string }>(SIGNING_KEYS, { limit: 10 });
    const oldDoc = docs.find((d) => d.value.kid === oldKid)!;
    const period = Math.floor((now - 2000) / rotationMs);
    expect(oldDoc.expiresAt).toBe(new Date((period + 1) * rotationMs + overlapMs).toISOString());
  });
});
