// Signing keys from a key file (NIMBUS_AUTH_KEY_FILE) instead of the database: the file's formats
// (JWKS, PKCS#8 and PKCS#1 PEM), every unusable file refused with what to fix, rotation by
// editing the file (the first key signs, every key listed verifies), processes sharing one file
// agreeing on the key, and a `smart` server on each engine issuing and honouring tokens of the
// file's key — with no key in its database.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { hasPrivateMembers, KeyFileSigner, parseKeyFile } from '../../src/auth/key-file';
import { SIGNING_KEYS } from '../../src/auth/keys';
import { describeEachEngine, tempDir } from '../support/engines';
import { makeTestServer } from '../support/server';
import { postForm, startSmartServer, type SmartServer } from '../support/smart-server';
import { clientAssertion } from '../support/smart';

async function rsaJwk(kid?: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS384', { extractable: true });
  return { ...(await exportJWK(privateKey)), ...(kid ? { kid } : {}) };
}
const pem = (jwk: JWK, type: 'pkcs8' | 'pkcs1') => crypto.createPrivateKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' }).export({ format: 'pem', type }).toString();
/** Replaces the file the way the docs say: a new file renamed over the old one. */
function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.new`, text);
  fs.renameSync(`${file}.new`, file);
}
const verifies = async (token: string, jwks: { keys: JWK[] }) =>
  jwtVerify(token, createLocalJWKSet(jwks)).then(
    () => true,
    () => false,
  );

describe('key file formats', () => {
  it('reads a JWKS (kid kept) and PEM blocks of both kinds (kid = thumbprint), in the file’s order', async () => {
    const a = await rsaJwk('2026-a');
    const b = await rsaJwk();
    const fromJwks = await parseKeyFile(JSON.stringify({ keys: [a, b] }), 'k.json');
    expect(fromJwks.map((k) => k.kid)).toEqual(['2026-a', await calculateJwkThumbprint(b)]);
    const fromPem = await parseKeyFile(`${pem(b, 'pkcs8')}\n${pem(a, 'pkcs1')}`, 'k.pem');
    expect(fromPem.map((k) => k.kid)).toEqual([await calculateJwkThumbprint(b), await calculateJwkThumbprint(a)]);
    for (const k of [...fromJwks, ...fromPem]) {
      expect(hasPrivateMembers(k.publicJwk)).toBe(false);
      expect(k.publicJwk).toMatchObject({ kty: 'RSA', use: 'sig' });
    }
  });

  it('refuses every unusable file with what to fix', async () => {
    const { privateKey: ec } = await generateKeyPair('ES384', { extractable: true });
    const encrypted = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString();
    const good = await rsaJwk('same');
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicOnly } = good;
    const cases: Array<[string, string, RegExp]> = [
      ['empty', '', /holds no private key/],
      ['not JSON', '{"keys": [', /not valid JSON/],
      ['not a JWKS', '{"kty":"RSA"}', /not a JWKS/],
      ['a public key', JSON.stringify({ keys: [publicOnly] }), /not a private key/],
      ['an EC key', JSON.stringify({ keys: [await exportJWK(ec)] }), /must be RSA/],
      ['a short key', JSON.stringify({ keys: [crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' })] }), /at least 2048/],
      ['a repeated kid', JSON.stringify({ keys: [good, { ...(await rsaJwk()), kid: 'same' }] }), /repeats the kid 'same'/],
      ['an encrypted PEM', encrypted, /encrypted private key/],
      ['a broken JWK', JSON.stringify({ keys: [{ kty: 'RSA', d: 'x', n: 'y', e: 'AQAB' }] }), /cannot be used/],
    ];
    for (const [what, text, message] of cases) await expect([what, await parseKeyFile(text, 'k').catch((e: Error) => e.message)]).toEqual([what, expect.stringMatching(message)]);
    const missing = new KeyFileSigner(path.join(tempDir(), 'absent.json'));
    await expect(missing.currentKey()).rejects.toThrow(/cannot be read/);
  });
});

describe('key file rotation', () => {
  it('the first key signs; every listed key verifies; processes sharing the file agree; edits apply without a restart', async () => {
    const file = path.join(tempDir(), 'keys.json');
    const [k1, k2] = [await rsaJwk('k1'), await rsaJwk('k2')];
    writeAtomically(file, JSON.stringify({ keys: [k1] }));
    let now = 1_000_000;
    const clock = () => now;
    // Two processes naming one file.
    const [p1, p2] = [new KeyFileSigner(file, clock), new KeyFileSigner(file, clock)];
    const t1 = await p1.sign({ iss: 'x' });
    expect(decodeProtectedHeader(t1).kid).toBe('k1');
    expect(await p2.jwks()).toEqual(await p1.jwks());

    // Rotate: the new key first, the previous one kept after it.
    writeAtomically(file, JSON.stringify({ keys: [k2, k1] }));
    now += 1500;
    const t2 = await p2.sign({ iss: 'x' });
    expect(decodeProtectedHeader(t2).kid).toBe('k2');
    expect((await p1.currentKey()).kid).toBe('k2');
    const both = await p1.jwks();
    expect(both.keys.map((k) => k.kid)).toEqual(['k2', 'k1']);
    expect(both.keys.some(hasPrivateMembers)).toBe(false);
    expect([await verifies(t1, both), await verifies(t2, both)]).toEqual([true, true]);

    // A half-written file keeps the last good keys; then the old key leaves and its tokens stop verifying.
    fs.writeFileSync(file, '{"keys": [');
    now += 1500;
    expect((await p1.currentKey()).kid).toBe('k2');
    writeAtomically(file, JSON.stringify({ keys: [k2] }));
    now += 1500;
    const after = await p1.jwks();
    expect(after.keys.map((k) => k.kid)).toEqual(['k2']);
    expect([await verifies(t1, after), await verifies(t2, after)]).toEqual([false, true]);
  });
});

describeEachEngine('a smart server with NIMBUS_AUTH_KEY_FILE', (factory) => {
  let s: SmartServer;
  let file: string;
  let publicJwk: JWK;
  beforeAll(async () => {
    const jwk = await rsaJwk();
    file = path.join(tempDir(), 'signing.pem');
    fs.writeFileSync(file, pem(jwk, 'pkcs8'), { mode: 0o600 });
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
    publicJwk = pub;
    s = await startSmartServer(factory, { env: { NIMBUS_AUTH_KEY_FILE: file } });
  });
  afterAll(async () => s?.close());

  it('publishes the file’s public key, signs tokens with it, honours them, and keeps no key in the database', async () => {
    const jwks = (await (await fetch(`${s.oauth}/jwks`)).json()) as { keys: JWK[] };
    const kid = await calculateJwkThumbprint(publicJwk);
    expect(jwks.keys).toEqual([{ ...publicJwk, kid, use: 'sig' }]);
    const assertion = await clientAssertion(s.keys.RS384, 'backend', `${s.oauth}/token`);
    const token = await postForm(`${s.oauth}/token`, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
    expect(token.status).toBe(200);
    expect(decodeProtectedHeader(token.body.access_token).kid).toBe(kid);
    expect(await verifies(token.body.access_token, { keys: [{ ...publicJwk, kid }] })).toBe(true);
    const read = await fetch(`${s.base}/Patient/p1`, { headers: { Authorization: `Bearer ${token.body.access_token}` } });
    expect(read.status).toBe(200);
    expect(await s.test.server.services.engine.system.list(SIGNING_KEYS, { limit: 10 })).toEqual([]);
  });

  it('refuses to start on a key file it cannot use', async () => {
    const bad = path.join(tempDir(), 'bad.json');
    fs.writeFileSync(bad, '{"keys":[]}');
    const engine = await factory.make();
    try {
      await expect(makeTestServer({ engine, env: { NIMBUS_AUTH: 'smart', NIMBUS_AUTH_KEY_FILE: bad } })).rejects.toThrow(/NIMBUS_AUTH_KEY_FILE .* holds no private key/);
    } finally {
      await engine.close();
    }
  });
});
