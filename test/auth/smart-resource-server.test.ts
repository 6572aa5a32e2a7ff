// smart mode end to end, both halves together: a backend service gets an access token from the
// server's own token endpoint (private_key_jwt), the FHIR API accepts it with the keys of the
// database (src/auth/keys.ts), applies its system/ scopes (reads yes, writes no), and refuses it
// once it is revoked at the revocation endpoint.
import { describeEachEngine } from '../support/engines';
import { postForm, startSmartServer, type SmartServer } from '../support/smart-server';
import { clientAssertion } from '../support/smart';

describeEachEngine('smart mode: the authorization server tokens on the FHIR API', (factory) => {
  let s: SmartServer;
  beforeAll(async () => {
    s = await startSmartServer(factory);
  });
  afterAll(() => s.close());

  async function backendToken(scope: string): Promise<string> {
    const assertion = await clientAssertion(s.keys.RS384, 'backend', `${s.oauth}/token`);
    const res = await postForm(`${s.oauth}/token`, { grant_type: 'client_credentials', scope, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  }

  const get = (path: string, token?: string) => fetch(`${s.base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('accepts the token on the fast path and in searches, and applies its scopes', async () => {
    const token = await backendToken('system/*.rs');
    expect((await get('/Patient/p1', token)).status).toBe(200);
    const search = await get('/Patient?_sort=_id', token);
    expect(((await search.json()) as { entry: unknown[] }).entry).toHaveLength(2);
    const write = await fetch(`${s.base}/Patient`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient' }) });
    expect(write.status).toBe(403);
    expect((await get('/Patient/p1')).status).toBe(401);
  });

  it('refuses a token revoked at the revocation endpoint', async () => {
    const token = await backendToken('system/*.rs');
    // A confidential client authenticates at the revocation endpoint as at the token endpoint (the
    // assertion names the token endpoint as its audience).
    const assertion = await clientAssertion(s.keys.RS384, 'backend', `${s.oauth}/token`);
    const revoked = await postForm(`${s.oauth}/revoke`, { token, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
    expect(revoked.status).toBe(200);
    const res = await get('/Patient/p1', token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token".*revoked/);
  });
});
