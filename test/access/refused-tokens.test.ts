// Every kind of bad access token is refused with 401 and the Bearer challenge, on the read fast
// path and the Express routes alike, while a good token from the same issuer is accepted — so
// each refusal is about the one thing the test breaks.
import { base64url, exportSPKI, generateKeyPair, importJWK, SignJWT, type KeyLike } from 'jose';
import { localKeySource, REVOKED_TOKENS } from '../../src/auth/verify-token';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { makeIssuer, TEST_BASE, type TestIssuer } from '../support/tokens';

const SCOPES = { scope: 'system/*.read', client_id: 'backend' };

describeEachEngine('refused access tokens', (factory) => {
  let t: TestServer;
  let issuer: TestIssuer;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    issuer = await makeIssuer();
    t = await makeTestServer({
      engine: await factory.make(),
      env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE },
      overrides: { smartKeys: localKeySource(issuer.jwks) },
    });
    const system = await issuer.token({ scope: 'system/*.*' });
    const put = await t.http.put('/fhir/Patient/p1').set({ Authorization: `Bearer ${system}`, 'Content-Type': 'application/fhir+json' }).send(JSON.stringify({ resourceType: 'Patient', id: 'p1' }));
    expect(put.status).toBe(201);
  });
  afterAll(() => t.close());

  /** The token is refused on the fast path, the Express read route and a search, with the challenge. */
  async function expectRefused(token: string | undefined, error: RegExp | null = /error="invalid_token"/) {
    for (const url of ['/fhir/Patient/p1', '/fhir/Patient/p1?_summary=false', '/fhir/Patient?_id=p1']) {
      const req = t.http.get(url);
      if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
      const res = await req;
      expect([url, res.status]).toEqual([url, 401]);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="nimbus-fhir"/);
      if (error) expect(res.headers['www-authenticate']).toMatch(error);
      else expect(res.headers['www-authenticate']).not.toMatch(/error=/);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].code).toBe('login');
    }
  }

  it('accepts a good token (the baseline every refusal below differs from in one thing)', async () => {
    const res = await t.http.get('/fhir/Patient/p1').set('Authorization', `Bearer ${await issuer.token(SCOPES)}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('p1');
  });

  it('refuses a request without a token (challenge without an error code)', async () => {
    await expectRefused(undefined, null);
  });

  it('lets the CapabilityStatement be read without a token', async () => {
    expect((await t.http.get('/fhir/metadata')).status).toBe(200);
  });

  it('refuses a non-Bearer Authorization header', async () => {
    const res = await t.http.get('/fhir/Patient/p1').set('Authorization', 'Basic dXNlcjpwYXNz');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });

  it('refuses alg none', async () => {
    const good = await issuer.token(SCOPES);
    const payload = good.split('.')[1];
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT', kid: issuer.kid }));
    await expectRefused(`${header}.${payload}.`);
    await expectRefused(`${header}.${payload}.${good.split('.')[2]}`);
  });

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const publicKey = await importJWK(issuer.publicJwk, 'RS384');
    const pem = new TextEncoder().encode(await exportSPKI(publicKey as KeyLike));
    const forged = await new SignJWT({ iss: TEST_BASE, aud: TEST_BASE, sub: 'x', ...SCOPES, iat: now(), exp: now() + 600 }).setProtectedHeader({ alg: 'HS256', kid: issuer.kid }).sign(pem);
    await expectRefused(forged);
    const jwkSecret = new TextEncoder().encode(JSON.stringify(issuer.publicJwk));
    await expectRefused(await new SignJWT({ iss: TEST_BASE, aud: TEST_BASE, ...SCOPES, iat: now(), exp: now() + 600 }).setProtectedHeader({ alg: 'HS256', kid: issuer.kid }).sign(jwkSecret));
  });

  it('refuses an expired token', async () => {
    await expectRefused(await issuer.token({ ...SCOPES, iat: now() - 7200, exp: now() - 3600 }), /has expired/);
  });

  it('refuses a token that is not valid yet', async () => {
    await expectRefused(await issuer.token({ ...SCOPES, nbf: now() + 3600 }), /not valid yet/);
  });

  it('refuses a token issued in the future', async () => {
    await expectRefused(await issuer.token({ ...SCOPES, iat: now() + 3600, exp: now() + 7200 }));
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(await issuer.token({ ...SCOPES, aud: 'https://other.example/fhir' }), /aud/);
  });

  it('refuses a token from another issuer', async () => {
    await expectRefused(await issuer.token({ ...SCOPES, iss: 'https://evil.example' }), /issuer/);
  });

  it('refuses a token without exp', async () => {
    await expectRefused(await issuer.token({ ...SCOPES, exp: undefined }));
  });

  it('refuses a token whose kid is unknown', async () => {
    await expectRefused(await issuer.token(SCOPES, { kid: 'no-such-key' }), /kid/);
  });

  it('refuses a token without kid', async () => {
    const token = await new SignJWT({ iss: TEST_BASE, aud: TEST_BASE, ...SCOPES, iat: now(), exp: now() + 600 }).setProtectedHeader({ alg: 'RS384' }).sign(issuer.privateKey);
    await expectRefused(token, /kid/);
  });

  it('refuses a token signed by another key under the known kid', async () => {
    const other = await generateKeyPair('RS384');
    await expectRefused(await issuer.token(SCOPES, { key: other.privateKey }), /signature/);
  });

  it('refuses a tampered payload', async () => {
    const [h, p, s] = (await issuer.token({ ...SCOPES, scope: 'system/Patient.read' })).split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    const tampered = base64url.encode(JSON.stringify({ ...claims, scope: 'system/*.*' }));
    await expectRefused(`${h}.${tampered}.${s}`, /signature/);
  });

  it('refuses a tampered signature', async () => {
    const [h, p, s] = (await issuer.token(SCOPES)).split('.');
    const bytes = base64url.decode(s);
    bytes[10] ^= 0xff;
    await expectRefused(`${h}.${p}.${base64url.encode(bytes)}`, /signature/);
  });

  it('refuses a malformed token', async () => {
    await expectRefused('not-a-jwt');
    await expectRefused('a.b.c');
  });

  it('refuses a revoked token, also once it was accepted and cached', async () => {
    const jti = `revoked-${Date.now()}`;
    const token = await issuer.token({ ...SCOPES, jti });
    expect((await t.http.get('/fhir/Patient/p1').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    await t.server.engine.system.insert(REVOKED_TOKENS, jti, { exp: now() + 3600 });
    const fresh = await issuer.token({ ...SCOPES, jti: `${jti}-2` });
    await t.server.engine.system.insert(REVOKED_TOKENS, `${jti}-2`, { exp: now() + 3600 });
    await expectRefused(fresh, /revoked/);
    // The cached one is refused once its "not revoked" answer is older than the recheck interval
    // (5 s); checked with a verifier on an injected clock in test/auth/verify-token.test.ts.
  });

  it('refuses an ES384 token where only the RS384 key is registered under its kid', async () => {
    const es = await makeIssuer({ alg: 'ES384', kid: issuer.kid });
    await expectRefused(await es.token(SCOPES));
  });
});
