// External mode: the server trusts an OpenID Connect provider it only knows by issuer and JWKS URL.
// The "provider" here is a locally generated RS256 key whose JWKS this test serves on 127.0.0.1;
// its tokens carry the SMART context in claims named as the provider names them (scp, patient_id,
// fhir_user), which the settings map.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { makeTestServer, type TestServer } from '../support/server';

const ISSUER = 'https://idp.test/realms/clinic';
const BASE = 'https://fhir.test/fhir';
const FHIR = 'application/fhir+json';

describe('external mode', () => {
  let jwksServer: http.Server;
  let jwksFetches = 0;
  let key: KeyLike;
  let t: TestServer;
  const now = () => Math.floor(Date.now() / 1000);

  const token = (claims: Record<string, unknown>, signWith: KeyLike = key, kid = 'idp-1') =>
    new SignJWT({ iss: ISSUER, aud: BASE, sub: 'u1', azp: 'portal', iat: now(), exp: now() + 300, ...claims }).setProtectedHeader({ alg: 'RS256', kid }).sign(signWith);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' }] });
    jwksServer = http.createServer((req, res) => {
      if (req.url !== '/protocol/openid-connect/certs') return void res.writeHead(404).end();
      jwksFetches++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks);
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    t = await makeTestServer({
      env: {
        NIMBUS_AUTH: 'external',
        NIMBUS_BASE_URL: BASE,
        NIMBUS_AUTH_ISSUER: ISSUER,
        NIMBUS_AUTH_JWKS_URL: `http://127.0.0.1:${port}/protocol/openid-connect/certs`,
        NIMBUS_AUTH_SCOPE_CLAIM: 'scp',
        NIMBUS_AUTH_PATIENT_CLAIM: 'patient_id',
        NIMBUS_AUTH_FHIRUSER_CLAIM: 'fhir_user',
      },
    });
    const admin = await token({ scp: 'system/*.*' });
    for (const r of [
      { resourceType: 'Patient', id: 'pa' },
      { resourceType: 'Patient', id: 'pb' },
      { resourceType: 'Observation', id: 'oa', status: 'final', code: { text: 'a' }, subject: { reference: 'Patient/pa' } },
      { resourceType: 'Observation', id: 'ob', status: 'final', code: { text: 'b' }, subject: { reference: 'Patient/pb' } },
    ]) {
      expect((await t.http.put(`/fhir/${r.resourceType}/${r.id}`).set({ Authorization: `Bearer ${admin}`, 'Content-Type': FHIR }).send(JSON.stringify(r))).status).toBe(201);
    }
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it("reads scopes and the patient from the provider's claim names", async () => {
    const auth = { Authorization: `Bearer ${await token({ scp: 'patient/Observation.rs', patient_id: 'pa', fhir_user: 'Practitioner/9' })}` };
    expect((await t.http.get('/fhir/Observation/oa').set(auth)).status).toBe(200);
    expect((await t.http.get('/fhir/Observation/ob').set(auth)).status).toBe(404);
    const search = await t.http.get('/fhir/Observation').set(auth);
    expect(search.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['oa']);
    expect((await t.http.get('/fhir/Patient/pa').set(auth)).status).toBe(403);
  });

  it('takes scopes given as an array', async () => {
    const auth = { Authorization: `Bearer ${await token({ scp: ['user/Patient.rs'], fhir_user: 'Practitioner/9' })}` };
    expect((await t.http.get('/fhir/Patient/pb').set(auth)).status).toBe(200);
  });

  it('ignores the SMART claim names it was not told to read', async () => {
    const auth = { Authorization: `Bearer ${await token({ scope: 'system/*.*' })}` };
    const res = await t.http.get('/fhir/Observation/oa').set(auth);
    expect([res.status, res.body.issue[0].code]).toEqual([403, 'forbidden']);
  });

  it('refuses tokens of another issuer, another audience, or signed by another key', async () => {
    const other = await generateKeyPair('RS256');
    for (const bad of [await token({ scp: 'system/*.*', iss: 'https://other.idp' }), await token({ scp: 'system/*.*', aud: 'account' }), await token({ scp: 'system/*.*' }, other.privateKey)]) {
      const res = await t.http.get('/fhir/Observation/oa').set('Authorization', `Bearer ${bad}`);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
  });

  it('fetches the JWKS once and keeps it (verified tokens are cached too)', async () => {
    const before = jwksFetches;
    const auth = { Authorization: `Bearer ${await token({ scp: 'system/*.read' })}` };
    for (let i = 0; i < 5; i++) expect((await t.http.get('/fhir/Observation/oa').set(auth)).status).toBe(200);
    expect(jwksFetches).toBe(before);
    expect(jwksFetches).toBe(1);
  });
});
