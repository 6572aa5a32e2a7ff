// The verifier's caches on an injected clock: a verified token is remembered until it expires (and
// then refused without a new signature check), a revocation reaches a cached token within the
// recheck interval, the cache stays bounded, and keys loaded from the database are reloaded when
// a token names a kid rotated in meanwhile.
import path from 'node:path';
import { localKeySource, loadedKeySource, REVOKED_TOKENS, TokenVerifier, SMART_ALGORITHMS, type KeySource } from '../../src/auth/verify-token';
import { SqliteEngine } from '../../src/storage/sqlite/sqlite-engine';
import { tempDir } from '../support/engines';
import { makeIssuer, TEST_BASE } from '../support/tokens';

describe('TokenVerifier', () => {
  let engine: SqliteEngine;
  let t = Date.parse('2026-01-01T00:00:00Z');
  const now = () => t;
  beforeAll(() => {
    engine = new SqliteEngine({ file: path.join(tempDir(), 'nimbus.sqlite') });
  });
  afterAll(() => engine.close());

  const verifier = (keys: KeySource, extra: Partial<ConstructorParameters<typeof TokenVerifier>[0]> = {}) =>
    new TokenVerifier({ keys, issuer: TEST_BASE, audience: TEST_BASE, algorithms: SMART_ALGORITHMS, revocations: engine.system, now, ...extra });

  it('turns the claims into a caller, and serves a cached token until it expires', async () => {
    const issuer = await makeIssuer({ now });
    let lookups = 0;
    const keys = localKeySource(issuer.jwks);
    const v = verifier({ getKey: (h, tok) => (lookups++, keys.getKey(h, tok)) });
    const token = await issuer.token({ scope: 'patient/Observation.rs launch/patient', patient: 'Patient/abc', fhirUser: 'Practitioner/7', exp: t / 1000 + 60 });
    const caller = await v.verify(token);
    expect(caller).toMatchObject({ kind: 'user', clientId: 'test-app', fhirUser: 'Practitioner/7', patient: 'abc', scopes: ['patient/Observation.rs', 'launch/patient'] });
    expect(await v.verify(token)).toBe(caller);
    expect(lookups).toBe(1);
    t += 61_000;
    await expect(v.verify(token)).rejects.toThrow(/expired/);
  });

  it('refuses a cached token once it is revoked, within the recheck interval', async () => {
    const issuer = await makeIssuer({ now });
    const v = verifier(localKeySource(issuer.jwks), { revocationCheckMs: 5_000 });
    const token = await issuer.token({ jti: 'to-revoke' });
    await v.verify(token);
    await engine.system.insert(REVOKED_TOKENS, 'to-revoke', { exp: t / 1000 + 3600 });
    await v.verify(token); // still within the interval: the cached answer stands
    t += 5_000;
    await expect(v.verify(token)).rejects.toThrow(/revoked/);
  });

  it('keeps at most cacheSize tokens', async () => {
    const issuer = await makeIssuer({ now });
    let lookups = 0;
    const keys = localKeySource(issuer.jwks);
    const v = verifier({ getKey: (h, tok) => (lookups++, keys.getKey(h, tok)) }, { cacheSize: 2 });
    const [a, b, c] = await Promise.all([issuer.token(), issuer.token(), issuer.token()]);
    for (const x of [a, b, c]) await v.verify(x);
    expect(lookups).toBe(3);
    await v.verify(c);
    await v.verify(b);
    expect(lookups).toBe(3);
    await v.verify(a); // evicted: verified again
    expect(lookups).toBe(4);
  });

  it('reloads keys from the database when a token names a new kid, at most once per interval', async () => {
    const first = await makeIssuer({ now });
    const second = await makeIssuer({ now });
    let stored = first.jwks;
    let loads = 0;
    const keys = loadedKeySource(async () => (loads++, stored), { reloadMs: 1000, now });
    const v = verifier(keys);
    await v.verify(await first.token());
    stored = { keys: [...first.jwks.keys, ...second.jwks.keys] };
    t += 1000;
    await v.verify(await second.token()); // rotated in by "another process"
    expect(loads).toBe(2);
    await expect(v.verify(await second.token({}, { kid: 'forged' }))).rejects.toThrow(/kid/);
    expect(loads).toBe(2); // within reloadMs: no reload for a forged kid
  });
});
