// Registered SMART apps (OAuth clients), stored in the SystemStore (collection `oauth-client`,
// key = client_id) so that the CLI and every server process see the same list.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JWK } from 'jose';
import type { SystemStore } from '../storage/engine';

export const CLIENTS = 'oauth-client';

/** How a client proves who it is at the token endpoint. */
export type ClientAuth =
  | { method: 'none' }
  | { method: 'client_secret_basic'; secretHash: string }
  | { method: 'private_key_jwt'; jwks?: { keys: JWK[] }; jwksUri?: string };

export interface OAuthClient {
  clientId: string;
  name: string;
  redirectUris: string[];
  /** The scopes this client may be granted (space-separated); requests are narrowed to them. */
  scope: string;
  auth: ClientAuth;
  createdAt: string;
}

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

export class ClientError extends Error {}

export function checkClient(client: OAuthClient): void {
  if (!CLIENT_ID.test(client.clientId)) throw new ClientError(`client id '${client.clientId}' must be 1-128 characters of A-Z a-z 0-9 . _ ~ -`);
  if (!client.name.trim()) throw new ClientError('a client needs a name');
  for (const uri of client.redirectUris) {
    const url = checkUrl(uri, 'redirect URI');
    if (url.hash) throw new ClientError(`redirect URI '${uri}' must not have a fragment (RFC 6749 §3.1.2)`);
  }
  if (client.auth.method === 'private_key_jwt') {
    if (!client.auth.jwks && !client.auth.jwksUri) throw new ClientError('a private_key_jwt client needs a JWKS or a JWKS URL');
    if (client.auth.jwks && (!Array.isArray(client.auth.jwks.keys) || client.auth.jwks.keys.length === 0)) throw new ClientError('the JWKS has no keys');
    for (const k of client.auth.jwks?.keys ?? []) {
      if ('d' in k) throw new ClientError('the JWKS holds a private key: register the public key only');
      // What Backend Services signs with: RS384 (RSA) or ES384 (EC P-384).
      if (k.kty !== 'RSA' && !(k.kty === 'EC' && k.crv === 'P-384')) throw new ClientError(`JWKS key ${k.kid ?? ''} must be an RSA or an EC P-384 key (for RS384/ES384)`);
    }
    if (client.auth.jwksUri !== undefined) checkUrl(client.auth.jwksUri, 'JWKS URL');
  }
  if (client.auth.method !== 'private_key_jwt' && client.redirectUris.length === 0) {
    throw new ClientError('a client that signs in users needs at least one --redirect-uri');
  }
}

/** An absolute https URL (http only on a loopback host, for development). */
function checkUrl(uri: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ClientError(`${what} '${uri}' is not an absolute URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ClientError(`${what} '${uri}' must use https (http only on localhost/127.0.0.1)`);
  return url;
}

/** A new client secret (shown once) and the hash that is stored. A secret is 256 random bits, so a
 * fast hash suffices; passwords chosen by people get scrypt (passwords.ts). */
export function newClientSecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(secretHash);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The web console served at /console (console/ in the repository) is a SMART app of its own
 * server: a built-in public client, so it works without a `clients add` step. Its redirect URI is
 * the console's own page next to the FHIR base the request came in on, whatever host or port the
 * server is reached by. An operator who stores a client with this id overrides it. */
export const CONSOLE_CLIENT_ID = 'nimbus-console';

const CONSOLE_CLIENT: OAuthClient = {
  clientId: CONSOLE_CLIENT_ID,
  name: 'Nimbus FHIR console',
  redirectUris: [],
  // The user's role still bounds what the console can reach (security-rs).
  scope: 'openid fhirUser online_access user/*.cruds',
  auth: { method: 'none' },
  createdAt: '1970-01-01T00:00:00.000Z',
};

/** `<prefix>/fhir` → `<prefix>/console/`. */
export function consoleRedirectUri(fhirBase: string): string {
  return new URL('../console/', `${fhirBase.replace(/\/+$/, '')}/`).href;
}

/** Whether `uri` is a redirect URI of `client` (exact match; the built-in console's is derived). */
export function isRegisteredRedirect(client: OAuthClient, uri: string, fhirBase: string): boolean {
  if (client.redirectUris.includes(uri)) return true;
  return client === CONSOLE_CLIENT && uri === consoleRedirectUri(fhirBase);
}

export class ClientStore {
  constructor(private readonly system: SystemStore) {}

  async get(clientId: string): Promise<OAuthClient | undefined> {
    if (!CLIENT_ID.test(clientId)) return undefined;
    const stored = (await this.system.get<OAuthClient>(CLIENTS, clientId))?.value;
    return stored ?? (clientId === CONSOLE_CLIENT_ID ? CONSOLE_CLIENT : undefined);
  }

  /** False when a client with that id exists already. */
  async add(client: OAuthClient): Promise<boolean> {
    checkClient(client);
    return this.system.insert(CLIENTS, client.clientId, client);
  }

  async remove(clientId: string): Promise<boolean> {
    if (!CLIENT_ID.test(clientId)) return false;
    return this.system.delete(CLIENTS, clientId);
  }

  async list(): Promise<OAuthClient[]> {
    return listAll<OAuthClient>(this.system, CLIENTS);
  }
}

export async function listAll<T>(system: SystemStore, collection: string): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await system.list<T>(collection, { after, limit: 200 });
    out.push(...page.map((d) => d.value));
    if (page.length < 200) return out;
    after = page[page.length - 1].key;
  }
}
