// A `smart` mode server on a real loopback port (the SMART tests need real HTTP for cookies,
// redirects and the fhirclient library), with a few registered apps, users and patients.
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createHttpServer } from '../../src/rest/http-limits';
import { update } from '../../src/interactions/crud';
import type { AuthorizationServices } from '../../src/auth/authorization-server';
import type { EngineFactory } from './engines';
import { makeTestServer, type TestServer } from './server';
import { clientKey, type ClientKey } from './smart';

export const APP_REDIRECT = 'http://127.0.0.1:9/callback';
export const PASSWORD = 'correct horse battery';

export interface SmartServer {
  test: TestServer;
  auth: AuthorizationServices;
  base: string;
  oauth: string;
  keys: { RS384: ClientKey; ES384: ClientKey };
  close(): Promise<void>;
}

export async function startSmartServer(factory: EngineFactory, options: { env?: Record<string, string> } = {}): Promise<SmartServer> {
  const test = await makeTestServer({ engine: await factory.make(), env: { NIMBUS_AUTH: 'smart', ...options.env } });
  const http: HttpServer = createHttpServer(test.server.app, test.config).listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  const { port } = http.address() as AddressInfo;
  const auth = test.server.authorization!;
  const now = new Date().toISOString();
  const keys = { RS384: await clientKey('RS384'), ES384: await clientKey('ES384') };
  await auth.clients.add({
    clientId: 'app',
    name: 'Test app',
    redirectUris: [APP_REDIRECT],
    scope: 'openid fhirUser launch launch/patient offline_access online_access patient/*.rs user/*.rs',
    auth: { method: 'none' },
    createdAt: now,
  });
  await auth.clients.add({
    clientId: 'backend',
    name: 'Backend service',
    redirectUris: [],
    scope: 'system/*.rs system/Observation.cruds',
    auth: { method: 'private_key_jwt', jwks: { keys: [keys.RS384.publicJwk, keys.ES384.publicJwk] } },
    createdAt: now,
  });
  await auth.users.add({ username: 'dr', fhirUser: 'Practitioner/dr1', role: 'practitioner', password: PASSWORD });
  await auth.users.add({ username: 'pat', fhirUser: 'Patient/p1', role: 'patient', password: PASSWORD });
  await auth.users.add({ username: 'root', fhirUser: 'Practitioner/admin1', role: 'admin', password: PASSWORD });
  // Stored through the system's own context, not over HTTP, so the seeding does not depend on
  // whether FHIR requests need a token.
  const system = test.server.systemContext();
  for (const [id, family] of [['p1', 'Alpha'], ['p2', 'Beta']]) {
    await update(system.data, test.server.services.core, 'Patient', id, { resourceType: 'Patient', id, name: [{ family, given: ['Test'] }] });
  }
  const origin = `http://127.0.0.1:${port}`;
  return {
    test,
    auth,
    base: `${origin}/fhir`,
    oauth: `${origin}/oauth`,
    keys,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await test.close();
    },
  };
}

/** POST a form to the token (or revoke/introspect) endpoint. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}
