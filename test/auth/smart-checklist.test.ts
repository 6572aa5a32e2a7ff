// A checklist modelled on the Inferno SMART App Launch test kit, over real HTTP against a `smart`
// mode server on each engine: discovery, PKCE, state, redirect URI and aud checks, token response
// fields, refresh rotation, scope narrowing, revocation, introspection, EHR launch, CSRF, client
// authentication, and Backend Services client assertions.
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describeEachEngine } from '../support/engines';
import { APP_REDIRECT, PASSWORD, postForm, startSmartServer, type SmartServer } from '../support/smart-server';
import { Browser, clientAssertion, parseForm, pkcePair } from '../support/smart';

describeEachEngine('SMART App Launch checklist', (factory) => {
  let s: SmartServer;
  beforeAll(async () => {
    s = await startSmartServer(factory);
  });
  afterAll(async () => s?.close());

  const authorizeUrl = (params: Record<string, string | undefined>) => {
    const url = new URL(`${s.oauth}/authorize`);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
    return url.toString();
  };
  const standard = (pkce: { challenge: string }, extra: Record<string, string | undefined> = {}) =>
    authorizeUrl({
      response_type: 'code',
      client_id: 'app',
      redirect_uri: APP_REDIRECT,
      scope: 'openid fhirUser launch/patient offline_access patient/*.rs',
      state: 'st-123',
      aud: s.base,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...extra,
    });

  /** A full standalone launch: the token response. */
  async function launch(user = 'dr', extra: Record<string, string | undefined> = {}, patient?: string) {
    const pkce = pkcePair();
    const back = await new Browser().authorize(standard(pkce, extra), { username: user, password: PASSWORD }, { patient });
    const code = back.searchParams.get('code');
    if (!code) throw new Error(`no code: ${back}`);
    const token = await postForm(`${s.oauth}/token`, { grant_type: 'authorization_code', code, redirect_uri: APP_REDIRECT, code_verifier: pkce.verifier, client_id: 'app' });
    return { back, token, code, pkce };
  }

  it('publishes every required field of the SMART configuration', async () => {
    const res = await fetch(`${s.base}/.well-known/smart-configuration`);
    expect(res.status).toBe(200);
    const c = (await res.json()) as Record<string, unknown>;
    for (const f of [
      'issuer',
      'jwks_uri',
      'authorization_endpoint',
      'token_endpoint',
      'grant_types_supported',
      'token_endpoint_auth_methods_supported',
      'scopes_supported',
      'response_types_supported',
      'code_challenge_methods_supported',
      'capabilities',
      'introspection_endpoint',
      'revocation_endpoint',
    ]) {
      expect(c[f]).toBeDefined();
    }
    expect(c.issuer).toBe(s.base);
    expect(c.code_challenge_methods_supported).toEqual(['S256']);
    expect(c.token_endpoint).toBe(`${s.oauth}/token`);
    expect(c.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials', 'refresh_token']));
    expect(c.capabilities).toEqual(expect.arrayContaining(['launch-standalone', 'launch-ehr', 'client-public', 'client-confidential-asymmetric', 'context-standalone-patient', 'sso-openid-connect']));
    const jwks = (await (await fetch(c.jwks_uri as string)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((k) => k.kid && k.d === undefined)).toBe(true);
  });

  it('declares SMART in the CapabilityStatement rest.security', async () => {
    const cs = (await (await fetch(`${s.base}/metadata`)).json()) as any;
    const security = cs.rest[0].security;
    expect(security.service[0].coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' });
    const uris = security.extension.find((e: any) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
    expect(Object.fromEntries(uris.extension.map((e: any) => [e.url, e.valueUri]))).toMatchObject({ token: `${s.oauth}/token`, authorize: `${s.oauth}/authorize` });
  });

  it('standalone launch: a practitioner picks a patient; the token response and the tokens carry the context', async () => {
    const { back, token } = await launch('dr', {}, 'p2');
    expect(back.searchParams.get('state')).toBe('st-123');
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    const t = token.body;
    expect(t).toMatchObject({ token_type: 'Bearer', expires_in: 3600, patient: 'p2', need_patient_banner: true, scope: 'openid fhirUser launch/patient offline_access patient/*.rs' });
    expect(typeof t.refresh_token).toBe('string');
    const jwks = createRemoteJWKSet(new URL(`${s.oauth}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(t.access_token, jwks, { issuer: s.base, audience: s.base, algorithms: ['RS384'] });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload).toMatchObject({ sub: 'dr', client_id: 'app', scope: t.scope, patient: 'p2', fhirUser: `${s.base}/Practitioner/dr1` });
    expect(typeof payload.jti).toBe('string');
    const id = await jwtVerify(t.id_token, jwks, { issuer: s.base, audience: 'app' });
    expect(id.payload.fhirUser).toBe(`${s.base}/Practitioner/dr1`);
  });

  it('the patient picker searches by name', async () => {
    const browser = new Browser();
    const url = standard(pkcePair());
    const login = await browser.request(url);
    const consent = await browser.submit(url, parseForm(login.text), { username: 'dr', password: PASSWORD });
    expect(parseForm(consent.text).options).toEqual(expect.arrayContaining(['p1', 'p2']));
    const found = await browser.submit(url, parseForm(consent.text), { decision: 'search', name: 'beta' });
    expect(found.status).toBe(200);
    expect(parseForm(found.text).options).toEqual(['p2']);
    const none = await browser.submit(url, parseForm(found.text), { decision: 'search', name: 'nobody-has-this-name' });
    expect(parseForm(none.text).options).toEqual([]);
    expect(none.text).toContain('No patient has that name');
    // A patient id that is not stored is not accepted.
    const wrong = await browser.submit(url, parseForm(none.text), { decision: 'allow', patient: 'p404' });
    expect(wrong.status).toBe(400);
    const back = await browser.submit(url, parseForm(wrong.text), { decision: 'allow', patient: 'p2' });
    expect(new URL(back.location!).searchParams.get('code')).toBeTruthy();
  });

  it('a patient user gets their own patient without a picker', async () => {
    const { token } = await launch('pat');
    expect(token.body.patient).toBe('p1');
  });

  it('PKCE: a missing challenge and the plain method are refused with the state echoed; a wrong or missing verifier is refused', async () => {
    const pkce = pkcePair();
    for (const extra of [{ code_challenge: undefined }, { code_challenge_method: 'plain', code_challenge: pkce.verifier }, { code_challenge_method: undefined }]) {
      const res = await new Browser().request(standard(pkce, extra));
      expect(res.status).toBe(303);
      const to = new URL(res.location!);
      expect(`${to.origin}${to.pathname}`).toBe(APP_REDIRECT);
      expect(to.searchParams.get('error')).toBe('invalid_request');
      expect(to.searchParams.get('state')).toBe('st-123');
    }
    const back = await new Browser().authorize(standard(pkce), { username: 'dr', password: PASSWORD });
    const code = back.searchParams.get('code')!;
    const wrong = await postForm(`${s.oauth}/token`, { grant_type: 'authorization_code', code, redirect_uri: APP_REDIRECT, code_verifier: pkcePair().verifier, client_id: 'app' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const again = await launch();
    const missing = await postForm(`${s.oauth}/token`, { grant_type: 'authorization_code', code: again.code, redirect_uri: APP_REDIRECT, client_id: 'app' });
    expect(missing.body.error).toBe('invalid_request');
  });

  it('a code works once', async () => {
    const { code, pkce, token } = await launch();
    expect(token.status).toBe(200);
    const replay = await postForm(`${s.oauth}/token`, { grant_type: 'authorization_code', code, redirect_uri: APP_REDIRECT, code_verifier: pkce.verifier, client_id: 'app' });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('an unregistered redirect_uri is shown an error page, never redirected to', async () => {
    const res = await new Browser().request(standard(pkcePair(), { redirect_uri: 'http://127.0.0.1:9/other' }));
    expect(res.status).toBe(400);
    expect(res.location).toBeUndefined();
    expect(res.text).toContain('redirect_uri');
  });

  it('a wrong aud is refused', async () => {
    const res = await new Browser().request(standard(pkcePair(), { aud: 'https://elsewhere.example/fhir' }));
    expect(res.status).toBe(303);
    expect(new URL(res.location!).searchParams.get('error')).toBe('invalid_request');
  });

  it('scopes the client is not registered for are not granted (downscoping)', async () => {
    const { token } = await launch('dr', { scope: 'launch/patient patient/*.rs patient/*.cruds system/*.rs' }, 'p1');
    expect(token.body.scope).toBe('launch/patient patient/*.rs');
    expect(token.body.refresh_token).toBeUndefined();
  });

  it('a denial goes back as access_denied with the state', async () => {
    const back = await new Browser().authorize(standard(pkcePair()), { username: 'dr', password: PASSWORD }, { decision: 'deny' });
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('st-123');
  });

  it('the login form is refused without the cookie of the browser that opened it (CSRF)', async () => {
    const browser = new Browser();
    const login = await browser.request(standard(pkcePair()));
    const form = parseForm(login.text);
    const forged = await new Browser().submit(login.url, form, { username: 'dr', password: PASSWORD });
    expect(forged.status).toBe(400);
    const wrongPassword = await browser.submit(login.url, form, { username: 'dr', password: 'wrong password' });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.text).toContain('wrong password');
  });

  it('repeated wrong passwords lock the user name out for a while (online guessing)', async () => {
    await s.auth.users.add({ username: 'guessed', fhirUser: 'Practitioner/g1', role: 'practitioner', password: PASSWORD });
    const browser = new Browser();
    const login = await browser.request(standard(pkcePair()));
    const form = parseForm(login.text);
    for (let i = 0; i < 10; i++) expect((await browser.submit(login.url, form, { username: 'guessed', password: `guess ${i}` })).status).toBe(401);
    const locked = await browser.submit(login.url, form, { username: 'guessed', password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('Too many failed sign-ins');
    // Other users are not affected.
    expect((await browser.submit(login.url, form, { username: 'dr', password: PASSWORD })).status).toBe(200);
  });

  it('refresh tokens rotate: the new one works, the old one is refused; a refresh may narrow but not widen', async () => {
    const { token } = await launch();
    const first = token.body.refresh_token as string;
    const r1 = await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: first, client_id: 'app' });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ token_type: 'Bearer', patient: 'p1', scope: token.body.scope });
    expect(r1.body.refresh_token).not.toBe(first);
    const wider = await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token, client_id: 'app', scope: 'user/*.rs offline_access' });
    expect(wider.body.error).toBe('invalid_scope');
    const narrower = await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: r1.body.refresh_token, client_id: 'app', scope: 'patient/Observation.rs offline_access' });
    expect(narrower.status).toBe(200);
    expect(narrower.body.scope).toBe('patient/Observation.rs offline_access');
    const old = await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: first, client_id: 'app' });
    expect(old.status).toBe(400);
    expect(old.body.error).toBe('invalid_grant');
  });

  it('a rotated refresh token presented again revokes every refresh token of the grant (replay)', async () => {
    const { token } = await launch();
    const first = token.body.refresh_token as string;
    const second = (await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: first, client_id: 'app' })).body.refresh_token as string;
    const replay = await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: first, client_id: 'app' });
    expect(replay.body.error).toBe('invalid_grant');
    const afterReplay = await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: second, client_id: 'app' });
    expect(afterReplay.status).toBe(400);
    expect(afterReplay.body.error).toBe('invalid_grant');
  });

  it('revocation (RFC 7009) ends refresh and access tokens; introspection (RFC 7662) tells', async () => {
    const { token } = await launch();
    const backend = await backendToken('RS384');
    const introspect = async (t: string) => (await postForm(`${s.oauth}/introspect`, { token: t, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: await clientAssertion(s.keys.RS384, 'backend', `${s.oauth}/token`) })).body;
    expect(await introspect(token.body.access_token)).toMatchObject({ active: true, client_id: 'app', scope: token.body.scope, patient: 'p1', sub: 'dr' });
    expect(await introspect(token.body.refresh_token)).toMatchObject({ active: true, token_type: 'refresh_token', client_id: 'app' });
    expect(await introspect('not-a-token')).toEqual({ active: false });
    // Another client may not revoke it.
    const foreign = await postForm(`${s.oauth}/revoke`, {
      token: token.body.access_token,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(s.keys.RS384, 'backend', `${s.oauth}/token`),
    });
    expect(foreign.status).toBe(400);
    expect((await postForm(`${s.oauth}/revoke`, { token: token.body.access_token, client_id: 'app' })).status).toBe(200);
    expect((await postForm(`${s.oauth}/revoke`, { token: token.body.refresh_token, client_id: 'app' })).status).toBe(200);
    expect((await postForm(`${s.oauth}/revoke`, { token: 'unknown', client_id: 'app' })).status).toBe(200);
    expect(await introspect(token.body.access_token)).toEqual({ active: false });
    expect(await introspect(token.body.refresh_token)).toEqual({ active: false });
    const jti = decodeJwt(token.body.access_token).jti!;
    expect(await s.auth.system.get('revoked-token', jti)).toMatchObject({ value: { exp: decodeJwt(token.body.access_token).exp } });
    const refresh = await postForm(`${s.oauth}/token`, { grant_type: 'refresh_token', refresh_token: token.body.refresh_token, client_id: 'app' });
    expect(refresh.body.error).toBe('invalid_grant');
    expect(backend.status).toBe(200);
    // Public clients cannot introspect.
    expect((await postForm(`${s.oauth}/introspect`, { token: token.body.access_token, client_id: 'app' })).status).toBe(401);
  });

  it('EHR launch: the launch context an administrator created arrives in the token response', async () => {
    const admin = await launch('root', { scope: 'openid fhirUser user/*.rs' });
    const created = await fetch(`${s.oauth}/launch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token.body.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ patient: 'p2', encounter: 'e9' }),
    });
    expect(created.status).toBe(201);
    const { launch: launchId } = (await created.json()) as { launch: string };
    const { token } = await launch('dr', { scope: 'launch openid fhirUser patient/*.rs', launch: launchId });
    expect(token.body).toMatchObject({ patient: 'p2', encounter: 'e9', need_patient_banner: false, scope: 'launch openid fhirUser patient/*.rs' });
    // A practitioner is not an administrator.
    const dr = await launch('dr', { scope: 'openid fhirUser user/*.rs' });
    const refused = await fetch(`${s.oauth}/launch`, { method: 'POST', headers: { authorization: `Bearer ${dr.token.body.access_token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(403);
    const unknown = await new Browser().request(standard(pkcePair(), { scope: 'launch patient/*.rs', launch: 'no-such-launch' }));
    expect(new URL(unknown.location!).searchParams.get('error')).toBe('invalid_request');
  });

  async function backendToken(alg: 'RS384' | 'ES384', options: { expiresIn?: number; jti?: string; aud?: string } = {}, scope = 'system/*.rs') {
    const assertion = await clientAssertion(s.keys[alg], 'backend', options.aud ?? `${s.oauth}/token`, options);
    return postForm(`${s.oauth}/token`, { grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
  }

  it.each(['RS384', 'ES384'] as const)('backend services with a %s client assertion get system scopes', async (alg) => {
    const res = await backendToken(alg, {}, 'system/*.rs system/Observation.cruds patient/*.rs');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'system/*.rs system/Observation.cruds' });
    expect(res.body.refresh_token).toBeUndefined();
    expect(decodeProtectedHeader(res.body.access_token).alg).toBe('RS384');
    expect(decodeJwt(res.body.access_token)).toMatchObject({ sub: 'backend', client_id: 'backend', aud: s.base });
  });

  it('client assertions: expired, more than 5 minutes ahead, replayed, for another audience or unsigned by the client are refused', async () => {
    expect((await backendToken('ES384', { expiresIn: -120 })).body.error).toBe('invalid_client');
    expect((await backendToken('ES384', { expiresIn: 600 })).body.error).toBe('invalid_client');
    expect((await backendToken('RS384', { aud: `${s.oauth}/other` })).body.error).toBe('invalid_client');
    const once = await backendToken('RS384', { jti: 'fixed-jti' });
    expect(once.status).toBe(200);
    const replay = await backendToken('RS384', { jti: 'fixed-jti' });
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
    const { clientKey } = await import('../support/smart');
    const stranger = await clientKey('ES384');
    const forged = await clientAssertion({ ...stranger, kid: s.keys.ES384.kid }, 'backend', `${s.oauth}/token`);
    const res = await postForm(`${s.oauth}/token`, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: forged });
    expect(res.body.error).toBe('invalid_client');
    expect((await backendToken('RS384', {}, 'patient/*.rs')).body.error).toBe('invalid_scope');
  });

  it('token endpoint errors follow RFC 6749 §5.2', async () => {
    expect((await postForm(`${s.oauth}/token`, { grant_type: 'password', client_id: 'app' })).body.error).toBe('unsupported_grant_type');
    const unknown = await postForm(`${s.oauth}/token`, { grant_type: 'authorization_code', client_id: 'nobody', code: 'x' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
    const basic = await postForm(`${s.oauth}/token`, { grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from('app:nope').toString('base64')}` });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic/);
    const json = await fetch(`${s.oauth}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as any).error).toBe('invalid_request');
  });
});
