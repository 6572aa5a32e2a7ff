// CDS client authentication (CDS Hooks 2.0 "Trusting CDS Clients") with NIMBUS_CDS_TRUSTED_ISSUERS:
// JWTs signed by a locally generated ES384 key whose JWK Set a loopback HTTP server publishes, as a
// CDS client would; every check of the specification refused once (iss, aud = the endpoint's URL,
// exp, jti replay, typ/kid/alg, jku), on both engines (the jti store is the database's).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { describeEachEngine } from '../support/engines';
import { fixedClock, makeTestServer, type TestServer } from '../support/server';

const NOW = Date.parse('2025-07-01T12:00:00Z') / 1000;
const ISSUER = 'https://ehr.test';
const ORIGIN = 'http://cds.test';
const SERVICE = `${ORIGIN}/cds-services/nimbus-medication-safety-sign`;

describeEachEngine('CDS client JWT', (factory) => {
  let t: TestServer;
  let jwksServer: http.Server;
  let jwksUrl: string;
  let key: KeyLike;
  let otherKey: KeyLike;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES384', { extractable: true });
    key = pair.privateKey;
    otherKey = (await generateKeyPair('ES384')).privateKey;
    const publicKey = await exportJWK(pair.publicKey);
    const jwks = JSON.stringify({ keys: [{ ...publicKey, kid: 'ehr-1', alg: 'ES384', use: 'sig' }] });
    jwksServer = http.createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(jwks);
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
    t = await makeTestServer({
      engine: await factory.make(),
      clock: fixedClock('2025-07-01T12:00:00Z'),
      env: { NIMBUS_BASE_URL: `${ORIGIN}/fhir`, NIMBUS_CDS_TRUSTED_ISSUERS: `${ISSUER}|${jwksUrl}` },
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => jwksServer.close(resolve));
    await t.close();
  });

  const jwt = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signWith: KeyLike = key) =>
    new SignJWT({ iss: ISSUER, aud: SERVICE, iat: NOW, exp: NOW + 300, jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid: 'ehr-1', ...header } as { alg: string })
      .sign(signWith);
  const call = (token: string | undefined, path = '/cds-services/nimbus-medication-safety-sign') => {
    const req = t.http.post(path).set('Content-Type', 'application/json');
    if (token !== undefined) req.set('Authorization', `Bearer ${token}`);
    return req.send(JSON.stringify({ hook: 'order-sign', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'p', draftOrders: { resourceType: 'Bundle', type: 'collection' } }, prefetch: { medications: null, allergies: null } }));
  };

  it('accepts a token signed by a trusted client for this endpoint, once', async () => {
    const token = await jwt();
    const res = await call(token);
    expect([res.status, res.body]).toEqual([200, { cards: [] }]);
    const replay = await call(token);
    expect([replay.status, replay.body.error, replay.body.description]).toEqual([401, 'invalid_token', expect.stringMatching(/replay/)]);
    expect(replay.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('reads this server\'s data when nothing is prefetched (the JWT is not taken for a FHIR token)', async () => {
    for (const r of [
      { resourceType: 'Patient', id: 'af', gender: 'male', birthDate: '1940-01-01' },
      { resourceType: 'Condition', id: 'af-1', subject: { reference: 'Patient/af' }, code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I48.9' }] } },
    ]) expect((await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(r))).status).toBe(201);
    const res = await t.http.post('/cds-services/nimbus-patient-risk').set({ 'Content-Type': 'application/json', Authorization: `Bearer ${await jwt({ aud: `${ORIGIN}/cds-services/nimbus-patient-risk` })}` })
      .send(JSON.stringify({ hook: 'patient-view', hookInstance: randomUUID(), context: { userId: 'Practitioner/1', patientId: 'af' } }));
    expect(res.status).toBe(200);
    // age 85 (2): anticoagulation recommended
    expect(res.body.cards.map((c: { summary: string }) => c.summary)).toEqual(['Atrial fibrillation, CHA2DS2-VASc 2 (2.2 %/yr stroke), no anticoagulant: recommended']);
  });

  it('guards discovery and feedback too, each with its own audience', async () => {
    expect((await t.http.get('/cds-services')).status).toBe(401);
    // The table cards cite is opened by a clinician's browser: no JWT needed.
    expect((await t.http.get('/cds-services/knowledge')).status).toBe(200);
    expect((await t.http.get('/cds-services').set('Authorization', `Bearer ${await jwt({ aud: `${ORIGIN}/cds-services` })}`)).status).toBe(200);
    expect((await t.http.get('/cds-services').set('Authorization', `Bearer ${await jwt()}`)).status).toBe(401);
    const feedback = await t.http.post('/cds-services/nimbus-medication-safety-sign/feedback').set('Authorization', `Bearer ${await jwt({ aud: `${SERVICE}/feedback` })}`).send({ feedback: [] });
    expect([feedback.status, feedback.body.error]).toEqual([400, 'invalid_request']);
  });

  it('refuses every token the specification rules out', async () => {
    const cases: Array<[string, Promise<string> | string | undefined, RegExp]> = [
      ['no token', undefined, /Authorization: Bearer/],
      ['not a JWT', 'abc.def', /not a JWT/],
      ['untrusted issuer', jwt({ iss: 'https://evil.test' }), /issuer https:\/\/evil\.test is not trusted/],
      ['another endpoint', jwt({ aud: `${ORIGIN}/cds-services/nimbus-patient-risk` }), /aud/],
      ['expired', jwt({ iat: NOW - 900, exp: NOW - 600 }), /exp|expired/],
      ['no jti', jwt({ jti: undefined }), /jti is required/],
      ['no kid', jwt({}, { kid: undefined }), /kid/],
      ['typ not JWT', jwt({}, { typ: 'at+jwt' }), /typ/],
      ['foreign jku', jwt({}, { jku: 'https://evil.test/jwks' }), /jku/],
      ['wrong key', jwt({}, {}, otherKey), /signature/],
      ['symmetric alg', new SignJWT({ iss: ISSUER, aud: SERVICE, iat: NOW, exp: NOW + 300, jti: randomUUID() }).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'ehr-1' }).sign(new TextEncoder().encode('x'.repeat(32))), /HS256 is not accepted/],
    ];
    for (const [name, token, message] of cases) {
      const res = await call(token === undefined ? undefined : await token);
      expect([name, res.status, res.body.error, res.body.description]).toEqual([name, 401, 'invalid_token', expect.stringMatching(message)]);
    }
    // A jku naming the configured JWK Set is accepted.
    expect((await call(await jwt({}, { jku: jwksUrl }))).status).toBe(200);
  });
});
