// Real clients against a `smart` mode server over HTTP, on each engine:
// - the `fhirclient` library (SMART's JavaScript client, its Node adapter) completes a standalone
//   launch: discovery, PKCE S256, the login and consent pages (driven like a browser: cookies,
//   redirects, form posts), the code exchange, then reads its patient;
// - a backend-services client with freshly generated key pairs (RS384 and ES384) whose public keys
//   are served from a jwks_uri gets a token with a client assertion and runs a search.
// Until the resource server's token verification is merged (security-rs), FHIR requests are not
// checked, so the FHIR reads here prove the token's delivery and claims, not its enforcement.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import smart from 'fhirclient';
import { describeEachEngine } from '../support/engines';
import { PASSWORD, postForm, startSmartServer, type SmartServer } from '../support/smart-server';
import { Browser, clientAssertion, clientKey } from '../support/smart';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (server: http.Server) => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(resolve));
};

describeEachEngine('real SMART clients', (factory) => {
  let s: SmartServer;
  beforeAll(async () => {
    s = await startSmartServer(factory);
  });
  afterAll(async () => s?.close());

  it('fhirclient completes a standalone launch headlessly and reads its patient', async () => {
    // fhirclient keeps its state in a server-side session; one in-memory session serves this test.
    const session = new Map<string, unknown>();
    const storage = {
      get: async (k: string) => session.get(k),
      set: async (k: string, v: unknown) => (session.set(k, v), v),
      unset: async (k: string) => session.delete(k),
    };
    let tokenResponse: Record<string, unknown> | undefined;
    const app = await listen(async (req, res) => {
      try {
        if (req.url === '/launch') {
          await smart(req, res, storage).authorize({
            iss: s.base,
            clientId: 'fhirclient-app',
            scope: 'openid fhirUser launch/patient patient/*.rs offline_access',
            redirectUri: '/callback',
            pkceMode: 'required',
          });
          return;
        }
        const client = await smart(req, res, storage).ready();
        tokenResponse = client.state.tokenResponse as Record<string, unknown>;
        const patient = await client.patient.read();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ patientId: client.patient.id, patient, user: client.user.fhirUser }));
      } catch (e) {
        res.writeHead(500).end(String((e as Error).stack ?? e));
      }
    });
    try {
      await s.auth.clients.add({
        clientId: 'fhirclient-app',
        name: 'fhirclient test app',
        redirectUris: [`${app.origin}/callback`],
        scope: 'openid fhirUser launch/patient patient/*.rs offline_access',
        auth: { method: 'none' },
        createdAt: new Date().toISOString(),
      });
      const browser = new Browser();
      const start = await browser.request(`${app.origin}/launch`);
      expect(start.status).toBe(302);
      const authorizeUrl = new URL(start.location!);
      expect(`${authorizeUrl.origin}${authorizeUrl.pathname}`).toBe(`${s.oauth}/authorize`);
      expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
      const callback = await browser.authorize(authorizeUrl.toString(), { username: 'dr', password: PASSWORD }, { patient: 'p2' });
      const done = await browser.request(callback.toString());
      expect(done.status).toBe(200);
      const result = JSON.parse(done.text) as { patientId: string; patient: { resourceType: string; id: string }; user: string };
      expect(result.patientId).toBe('p2');
      expect(result.patient).toMatchObject({ resourceType: 'Patient', id: 'p2' });
      expect(result.user).toBe('Practitioner/dr1');
      expect(tokenResponse).toMatchObject({ token_type: 'Bearer', patient: 'p2', scope: 'openid fhirUser launch/patient patient/*.rs offline_access' });
      const { payload } = await jwtVerify(tokenResponse!.access_token as string, createRemoteJWKSet(new URL(`${s.oauth}/jwks`)), { issuer: s.base, audience: s.base });
      expect(payload).toMatchObject({ client_id: 'fhirclient-app', patient: 'p2' });
    } finally {
      await close(app.server);
    }
  });

  it.each(['RS384', 'ES384'] as const)('a backend-services client with a fresh %s key pair behind a jwks_uri gets a token and runs a search', async (alg) => {
    const key = await clientKey(alg);
    const jwksHost = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] })));
    try {
      const clientId = `backend-${alg.toLowerCase()}`;
      await s.auth.clients.add({
        clientId,
        name: `backend ${alg}`,
        redirectUris: [],
        scope: 'system/Patient.rs',
        auth: { method: 'private_key_jwt', jwksUri: `${jwksHost.origin}/jwks.json` },
        createdAt: new Date().toISOString(),
      });
      const discovery = (await (await fetch(`${s.base}/.well-known/smart-configuration`)).json()) as { token_endpoint: string };
      const assertion = await clientAssertion(key, clientId, discovery.token_endpoint);
      const token = await postForm(discovery.token_endpoint, {
        grant_type: 'client_credentials',
        scope: 'system/Patient.rs',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
      expect(token.status).toBe(200);
      expect(token.body.scope).toBe('system/Patient.rs');
      const search = await fetch(`${s.base}/Patient?family=Beta`, { headers: { authorization: `Bearer ${token.body.access_token}`, accept: 'application/fhir+json' } });
      expect(search.status).toBe(200);
      const bundle = (await search.json()) as { entry?: { resource: { id: string } }[] };
      expect(bundle.entry?.map((e) => e.resource.id)).toEqual(['p2']);
    } finally {
      await close(jwksHost.server);
    }
  });
});
