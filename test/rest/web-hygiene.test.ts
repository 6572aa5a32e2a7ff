// Web-facing hygiene over real HTTP: CORS for allowlisted origins only (preflight and exposed FHIR
// headers), nosniff on every answer, no-store on patient data when auth is on, and absolute URLs
// never taken from an untrusted Host or X-Forwarded-* header.
import { localKeySource } from '../../src/auth/verify-token';
import { makeTestServer, type TestServer } from '../support/server';
import { makeIssuer, TEST_BASE } from '../support/tokens';

const FHIR = 'application/fhir+json';
const patient = { resourceType: 'Patient', id: 'p1', name: [{ family: 'Hygiene' }] };

describe('web hygiene', () => {
  describe('auth off, CORS allowlist, no base URL configured', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await makeTestServer({ env: { NIMBUS_CORS_ORIGINS: 'https://app.example' } });
      expect((await t.http.put('/fhir/Patient/p1').set('Content-Type', FHIR).send(JSON.stringify(patient))).status).toBe(201);
    });
    afterAll(() => t.close());

    it('answers a preflight from an allowed origin, and refuses one from another origin', async () => {
      const ok = await t.http.options('/fhir/Patient').set({ Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' });
      expect(ok.status).toBe(204);
      expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(ok.headers['access-control-allow-methods']).toMatch(/POST/);
      expect(ok.headers['access-control-allow-headers']).toMatch(/Authorization/);
      const no = await t.http.options('/fhir/Patient').set({ Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' });
      expect(no.status).toBe(403);
      expect(no.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('exposes the FHIR headers to an allowed origin on the fast path and the Express routes', async () => {
      for (const url of ['/fhir/Patient/p1', '/fhir/Patient/p1?_summary=false']) {
        const res = await t.http.get(url).set('Origin', 'https://app.example');
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
        for (const h of ['Location', 'ETag', 'Content-Location', 'Last-Modified']) expect(res.headers['access-control-expose-headers']).toContain(h);
        expect(res.headers.vary).toMatch(/Origin/);
      }
      const other = await t.http.get('/fhir/Patient/p1').set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('sends nosniff on every answer, errors included, and no no-store while auth is off', async () => {
      for (const [url, status] of [['/fhir/Patient/p1', 200], ['/fhir/Patient/nope', 404], ['/fhir/metadata', 200], ['/nowhere', 404], ['/fhir/Patient?bogus=1', 400]] as const) {
        const res = await t.http.get(url);
        expect([url, res.status, res.headers['x-content-type-options']]).toEqual([url, status, 'nosniff']);
        expect(res.headers['cache-control']).toBeUndefined();
      }
    });

    it('never builds Location or links from a foreign Host header', async () => {
      const created = await t.http.post('/fhir/Patient').set({ 'Content-Type': FHIR, Host: 'evil.example' }).send(JSON.stringify({ resourceType: 'Patient' }));
      expect(created.status).toBe(201);
      expect(created.headers.location).not.toMatch(/evil/);
      expect(created.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/Patient\//);
      const search = await t.http.get('/fhir/Patient').set({ Host: 'evil.example', 'X-Forwarded-Host': 'evil2.example', 'X-Forwarded-Proto': 'https' });
      expect(JSON.stringify(search.body)).not.toMatch(/evil/);
      // A loopback Host (the usual local client) is kept, port included.
      const local = await t.http.get('/fhir/Patient').set('Host', 'localhost:9999');
      expect(local.body.link[0].url).toMatch(/^http:\/\/localhost:9999\/fhir\/Patient/);
    });
  });

  it('takes X-Forwarded-Host/-Proto only behind a trusted proxy', async () => {
    const t = await makeTestServer({ env: { NIMBUS_TRUST_PROXY: 'true' } });
    try {
      const res = await t.http.get('/fhir/Patient').set({ 'X-Forwarded-Host': 'fhir.example.org', 'X-Forwarded-Proto': 'https' });
      expect(res.body.link[0].url).toMatch(/^https:\/\/fhir\.example\.org\/fhir\/Patient/);
    } finally {
      await t.close();
    }
  });

  it('uses NIMBUS_BASE_URL whatever the headers say, and sends no-store on patient data when auth is on', async () => {
    const issuer = await makeIssuer();
    const t = await makeTestServer({ env: { NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: TEST_BASE, NIMBUS_AUDIT: 'false' }, overrides: { smartKeys: localKeySource(issuer.jwks) } });
    try {
      const auth = { Authorization: `Bearer ${await issuer.token({ scope: 'system/*.*' })}` };
      const put = await t.http.put('/fhir/Patient/p1').set({ ...auth, 'Content-Type': FHIR, Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' }).send(JSON.stringify(patient));
      expect(put.status).toBe(201);
      expect(put.headers.location).toMatch(new RegExp(`^${TEST_BASE}/Patient/p1/_history/1`));
      for (const url of ['/fhir/Patient/p1', '/fhir/Patient/p1?_summary=false', '/fhir/Patient?_id=p1', '/fhir/Patient/nope']) {
        const res = await t.http.get(url).set(auth);
        expect([url, res.headers['cache-control'], res.headers['x-content-type-options']]).toEqual([url, 'no-store', 'nosniff']);
      }
      expect((await t.http.get('/fhir/Patient/p1')).headers['cache-control']).toBe('no-store'); // the 401 too
      expect((await t.http.get('/fhir/metadata')).headers['cache-control']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
