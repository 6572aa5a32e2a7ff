// Who is calling the token, revocation and introspection endpoints: HTTP Basic with the client's
// secret (client_secret_basic), a signed client assertion (private_key_jwt, RFC 7523 as profiled
// by SMART Backend Services) or, for public clients, only a client_id.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ClientStore, secretMatches, type OAuthClient } from './clients';
import type { GrantStore } from './grants';
import { invalidClient, invalidRequest, single } from './oauth-errors';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART Backend Services: an assertion expires at most five minutes after it is made. */
const MAX_ASSERTION_SECONDS = 300;
const CLOCK_SKEW_SECONDS = 30;

export interface AuthenticatedClient {
  client: OAuthClient;
  /** false for a public client that only named itself. */
  confidential: boolean;
}

export class ClientAuthenticator {
  /** One remote key set per jwks_uri: jose caches the keys and refetches on an unknown kid. */
  private readonly remote = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly clients: ClientStore,
    private readonly grants: GrantStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** `tokenUrl`: the audience client assertions must name. */
  /** `header`: the Authorization header; `body`: the parsed form. */
  async authenticate(header: string | undefined, body: Record<string, unknown> | undefined, tokenUrl: string): Promise<AuthenticatedClient> {
    const assertionType = single(body, 'client_assertion_type');
    const formClientId = single(body, 'client_id');
    if (header && /^Basic /i.test(header)) return this.basic(header.slice(6).trim(), formClientId);
    if (assertionType !== undefined) {
      if (assertionType !== JWT_BEARER) throw invalidRequest(`client_assertion_type must be ${JWT_BEARER}`);
      const assertion = single(body, 'client_assertion');
      if (!assertion) throw invalidRequest('client_assertion is missing');
      return this.assertion(assertion, tokenUrl, formClientId);
    }
    if (single(body, 'client_secret') !== undefined) throw invalidClient('send the client secret with HTTP Basic (client_secret_basic), not in the form');
    if (!formClientId) throw invalidClient('no client authentication: send client_id (public clients), HTTP Basic or a client assertion');
    const client = await this.clients.get(formClientId);
    if (!client) throw invalidClient(`unknown client '${formClientId.slice(0, 100)}'`);
    if (client.auth.method !== 'none') throw invalidClient(`client ${client.clientId} must authenticate (${client.auth.method})`);
    return { client, confidential: false };
  }

  private async basic(encoded: string, formClientId: string | undefined): Promise<AuthenticatedClient> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient('malformed HTTP Basic credentials', true);
    // RFC 6749 §2.3.1: both parts are form-urlencoded.
    let id: string;
    let secret: string;
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw invalidClient('malformed HTTP Basic credentials', true);
    }
    if (formClientId !== undefined && formClientId !== id) throw invalidRequest('client_id differs from the HTTP Basic user');
    const client = await this.clients.get(id);
    if (!client || client.auth.method !== 'client_secret_basic' || !secretMatches(secret, client.auth.secretHash)) {
      throw invalidClient('client authentication failed', true);
    }
    return { client, confidential: true };
  }

  private async assertion(assertion: string, tokenUrl: string, formClientId: string | undefined): Promise<AuthenticatedClient> {
    let iss: unknown;
    try {
      iss = decodeJwt(assertion).iss;
    } catch {
      throw invalidClient('client_assertion is not a JWT');
    }
    if (typeof iss !== 'string') throw invalidClient('client_assertion has no iss');
    if (formClientId !== undefined && formClientId !== iss) throw invalidClient('client_id differs from the assertion issuer');
    const client = await this.clients.get(iss);
    if (!client || client.auth.method !== 'private_key_jwt') throw invalidClient(`client '${iss.slice(0, 100)}' is not registered for private_key_jwt`);
    const keys = this.keysOf(client);
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, keys, {
        algorithms: ['RS384', 'ES384'],
        issuer: client.clientId,
        subject: client.clientId,
        audience: tokenUrl,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(this.now()),
      }));
    } catch (e) {
      throw invalidClient(`client_assertion refused: ${(e as Error).message}`);
    }
    const nowSeconds = Math.floor(this.now() / 1000);
    if (payload.exp! > nowSeconds + MAX_ASSERTION_SECONDS + CLOCK_SKEW_SECONDS) throw invalidClient('client_assertion exp is more than 5 minutes ahead');
    if (typeof payload.jti !== 'string' || !payload.jti) throw invalidClient('client_assertion needs a jti');
    if (!(await this.grants.claimAssertion(client.clientId, payload.jti, payload.exp!))) throw invalidClient('client_assertion jti was used before (replay)');
    return { client, confidential: true };
  }

  private keysOf(client: OAuthClient): JWTVerifyGetKey {
    if (client.auth.method !== 'private_key_jwt') throw new Error('not a private_key_jwt client');
    if (client.auth.jwks) return createLocalJWKSet(client.auth.jwks);
    const uri = client.auth.jwksUri!;
    let set = this.remote.get(uri);
    if (!set) {
      set = createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      this.remote.set(uri, set);
    }
    return set;
  }
}
