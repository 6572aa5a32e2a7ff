// What the authorization server remembers between requests, all in the SystemStore so any server
// process can continue a flow another one started: pending authorization requests (the login and
// consent pages), authorization codes (one use, 60 s), refresh tokens (opaque, stored hashed,
// rotated on use), revoked access tokens and EHR launch contexts. Expiry is the store's.
import { createHash, randomBytes } from 'node:crypto';
import type { SystemStore } from '../storage/engine';

export const AUTH_REQUESTS = 'auth-request';
export const AUTH_CODES = 'auth-code';
export const REFRESH_TOKENS = 'refresh-token';
/** Read by the resource server (security-rs): key = jti, value { exp } (seconds). */
export const REVOKED_TOKENS = 'revoked-token';
export const LAUNCH_CONTEXTS = 'launch-context';
export const ASSERTION_JTIS = 'client-assertion-jti';

/** What a token is issued for: the same for the code, the access token and its refreshes. */
export interface Grant {
  clientId: string;
  scope: string[];
  /** The user name (authorization code flow) or the client id (backend services). */
  sub: string;
  fhirUser?: string;
  patient?: string;
  encounter?: string;
  needPatientBanner?: boolean;
  /** The FHIR base the token is for (`aud`, and `iss` as this server's base). */
  aud: string;
}

export interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  state: string;
  scope: string[];
  codeChallenge: string;
  aud: string;
  nonce?: string;
  launch?: LaunchContext;
  csrf: string;
  /** Set once the user has signed in on the login page. */
  user?: { username: string; fhirUser: string; role: string };
}

export interface AuthorizationCode {
  grant: Grant;
  redirectUri: string;
  codeChallenge: string;
  nonce?: string;
}

export interface LaunchContext {
  patient?: string;
  encounter?: string;
  /** Who launched, when the EHR says so (informational). */
  fhirUser?: string;
}

export interface StoredRefreshToken {
  grant: Grant;
  /** Whole seconds since the epoch. */
  exp: number;
  /** Set once the token was exchanged for a new one: presenting it again is a replay. */
  rotated?: boolean;
}

/** A refresh token is `<family>.<secret>`: every token one grant rotates through shares the family,
 * stored under `<family>.<hash of secret>`, so a replay of a rotated token can revoke them all
 * (OAuth 2.0 Security BCP, refresh token rotation). */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

export interface RefreshTokenRecord {
  value: StoredRefreshToken;
  rev: number;
  key: string;
  family: string;
}

export const newSecret = (bytes = 32) => randomBytes(bytes).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');
const expiry = (now: number, seconds: number) => ({ expiresAt: new Date(now + seconds * 1000).toISOString() });

export const AUTH_REQUEST_SECONDS = 600;
export const CODE_SECONDS = 60;
export const LAUNCH_SECONDS = 3600;

export class GrantStore {
  constructor(
    readonly system: SystemStore,
    private readonly now: () => number = Date.now,
  ) {}

  async startAuthorization(pending: PendingAuthorization): Promise<string> {
    const id = newSecret();
    await this.system.insert(AUTH_REQUESTS, id, pending, expiry(this.now(), AUTH_REQUEST_SECONDS));
    return id;
  }

  async pending(id: string): Promise<{ value: PendingAuthorization; rev: number } | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const doc = await this.system.get<PendingAuthorization>(AUTH_REQUESTS, id);
    return doc && { value: doc.value, rev: doc.rev };
  }

  async updatePending(id: string, value: PendingAuthorization, rev: number): Promise<boolean> {
    return this.system.replace(AUTH_REQUESTS, id, value, rev, expiry(this.now(), AUTH_REQUEST_SECONDS));
  }

  /** Ends the pending request (once: false when another request already did). */
  async finishPending(id: string, rev: number): Promise<boolean> {
    return this.system.delete(AUTH_REQUESTS, id, rev);
  }

  async issueCode(code: AuthorizationCode): Promise<string> {
    const value = newSecret();
    await this.system.insert(AUTH_CODES, hashToken(value), code, expiry(this.now(), CODE_SECONDS));
    return value;
  }

  /** The code's grant, consumed: a second use finds nothing (RFC 6749 §4.1.2). */
  async redeemCode(code: string): Promise<AuthorizationCode | undefined> {
    const key = hashToken(code);
    const doc = await this.system.get<AuthorizationCode>(AUTH_CODES, key);
    if (!doc || !(await this.system.delete(AUTH_CODES, key, doc.rev))) return undefined;
    return doc.value;
  }

  /** A new refresh token; `family` continues a rotated grant. */
  async issueRefreshToken(grant: Grant, lifetimeSeconds: number, family = newSecret(12)): Promise<string> {
    const secret = newSecret();
    const exp = Math.floor(this.now() / 1000) + lifetimeSeconds;
    await this.system.insert<StoredRefreshToken>(REFRESH_TOKENS, `${family}.${hashToken(secret)}`, { grant, exp }, { expiresAt: new Date(exp * 1000).toISOString() });
    return `${family}.${secret}`;
  }

  /** The stored token, rotated or not (the caller tells a replay from a use). */
  async refreshToken(token: string): Promise<RefreshTokenRecord | undefined> {
    const m = REFRESH_TOKEN.exec(token ?? '');
    if (!m) return undefined;
    const key = `${m[1]}.${hashToken(m[2])}`;
    const doc = await this.system.get<StoredRefreshToken>(REFRESH_TOKENS, key);
    return doc && { value: doc.value, rev: doc.rev, key, family: m[1] };
  }

  /** Marks the token used (kept, so a replay is recognised until it expires); false when another
   * request used it first. */
  async rotateRefreshToken(record: RefreshTokenRecord): Promise<boolean> {
    const expiresAt = new Date(record.value.exp * 1000).toISOString();
    return this.system.replace<StoredRefreshToken>(REFRESH_TOKENS, record.key, { ...record.value, rotated: true }, record.rev, { expiresAt });
  }

  /** Ends every refresh token of a grant (revocation, or a replayed rotated token). */
  async revokeRefreshFamily(family: string): Promise<void> {
    for (;;) {
      const page = await this.system.list(REFRESH_TOKENS, { prefix: `${family}.`, limit: 100 });
      for (const doc of page) await this.system.delete(REFRESH_TOKENS, doc.key);
      if (page.length < 100) return;
    }
  }

  async revokeAccessToken(jti: string, exp: number): Promise<void> {
    // Kept until the token would have expired anyway; a second revocation is a no-op.
    await this.system.insert(REVOKED_TOKENS, jti, { exp }, { expiresAt: new Date(exp * 1000).toISOString() });
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.system.get(REVOKED_TOKENS, jti)) !== undefined;
  }

  async createLaunch(context: LaunchContext): Promise<string> {
    const id = newSecret(18);
    await this.system.insert(LAUNCH_CONTEXTS, id, context, expiry(this.now(), LAUNCH_SECONDS));
    return id;
  }

  async launch(id: string): Promise<LaunchContext | undefined> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) return undefined;
    return (await this.system.get<LaunchContext>(LAUNCH_CONTEXTS, id))?.value;
  }

  /** Records a client assertion's jti until it expires; false when it was seen before (replay). */
  async claimAssertion(clientId: string, jti: string, exp: number): Promise<boolean> {
    const key = `${clientId}|${jti}`.slice(0, 512);
    return this.system.insert(ASSERTION_JTIS, key, { exp }, { expiresAt: new Date(exp * 1000 + 1000).toISOString() });
  }
}
