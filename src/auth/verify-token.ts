// Access token verification for the resource server: a compact JWS signed with an asymmetric key
// named by `kid`, checked with jose against a key source (the server's own keys in smart mode, the
// provider's JWKS in external mode), then its issuer, audience, lifetime and revocation. Verified
// tokens are kept in a bounded LRU keyed by the token text until they expire, so a client reusing
// its token (every client does) pays for the signature once, not per request.
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload, type JWSHeaderParameters, type FlattenedJWSInput, type KeyLike } from 'jose';
import type { Caller } from '../access/caller';
import type { SystemStore } from '../storage/engine';

/** Where the public keys come from (jose's createLocalJWKSet/createRemoteJWKSet fit). */
export interface KeySource {
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike | Uint8Array>;
}

/** The claims that carry the SMART context (external providers name them differently). */
export interface ClaimNames {
  scope: string;
  patient: string;
  fhirUser: string;
}

export const SMART_CLAIMS: ClaimNames = { scope: 'scope', patient: 'patient', fhirUser: 'fhirUser' };

export interface VerifierOptions {
  keys: KeySource;
  issuer: string;
  audience: string;
  /** Signature algorithms accepted. Never `none` and never HMAC: a symmetric algorithm would let a
   * client sign with the (public) verification key. */
  algorithms: string[];
  claims?: ClaimNames;
  /** Revoked token ids (`revoked-token` documents, key = jti); absent: no revocation list. */
  revocations?: SystemStore;
  /** Epoch ms; injected so tests can move time. */
  now?: () => number;
  /** Leeway for clocks that differ a little between issuer and server. */
  clockToleranceSeconds?: number;
  /** How many verified tokens to remember. */
  cacheSize?: number;
  /** How long a "not revoked" answer is trusted before asking the database again. */
  revocationCheckMs?: number;
}

/** SMART mode signs with these (the contract with the authorization server). */
export const SMART_ALGORITHMS = ['RS384', 'ES384'];
/** External providers commonly sign with RS256 (Keycloak, Entra ID, Auth0); all asymmetric. */
export const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Why a token was refused; the message goes into the 401's error_description. */
export class InvalidTokenError extends Error {}

export const REVOKED_TOKENS = 'revoked-token';

interface Verified {
  caller: Caller;
  /** Epoch ms after which the entry is dead (the token's exp). */
  expiresAt: number;
  /** Epoch ms of the last "not revoked" answer from the database. */
  revocationCheckedAt: number;
}

export class TokenVerifier {
  private readonly cache = new Map<string, Verified>();
  private readonly claims: ClaimNames;
  private readonly now: () => number;
  private readonly tolerance: number;
  private readonly cacheSize: number;
  private readonly revocationCheckMs: number;

  constructor(private readonly options: VerifierOptions) {
    this.claims = options.claims ?? SMART_CLAIMS;
    this.now = options.now ?? Date.now;
    this.tolerance = options.clockToleranceSeconds ?? 30;
    this.cacheSize = options.cacheSize ?? 10_000;
    this.revocationCheckMs = options.revocationCheckMs ?? 5_000;
  }

  /**
   * The caller a token stands for; throws InvalidTokenError when it must be refused. `expected`
   * overrides the configured issuer and audience (smart mode without a configured base URL: this
   * server's base as the request reached it).
   */
  async verify(token: string, expected?: { issuer: string; audience: string }): Promise<Caller> {
    const now = this.now();
    // A token verified for one audience is not thereby valid for another.
    const key = expected ? `${expected.issuer} ${expected.audience} ${token}` : token;
    const hit = this.cache.get(key);
    if (hit) {
      if (hit.expiresAt <= now) {
        this.cache.delete(key);
        throw new InvalidTokenError('the access token has expired');
      }
      // Most recently used last, so the oldest entry is the one evicted.
      this.cache.delete(key);
      this.cache.set(key, hit);
      if (now - hit.revocationCheckedAt >= this.revocationCheckMs) {
        await this.checkNotRevoked(hit.caller.tokenId);
        hit.revocationCheckedAt = now;
      }
      return hit.caller;
    }
    const payload = await this.verifySignatureAndClaims(token, now, expected ?? this.options);
    const caller = this.callerOf(payload);
    await this.checkNotRevoked(caller.tokenId);
    this.remember(key, { caller, expiresAt: payload.exp! * 1000, revocationCheckedAt: now });
    return caller;
  }

  private async verifySignatureAndClaims(token: string, now: number, expected: { issuer: string; audience: string }): Promise<JWTPayload> {
    if (token.length > 16_384 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      throw new InvalidTokenError('the access token is not a signed JWT (header.payload.signature)');
    }
    try {
      const { payload } = await jwtVerify(
        token,
        (header, input) => {
          if (!header.kid) throw new InvalidTokenError('the access token header names no signing key (kid)');
          return this.options.keys.getKey(header, input);
        },
        {
          issuer: expected.issuer,
          audience: expected.audience,
          algorithms: this.options.algorithms,
          currentDate: new Date(now),
          clockTolerance: this.tolerance,
          requiredClaims: ['exp', 'iat'],
        },
      );
      if (payload.iat! > now / 1000 + this.tolerance) throw new InvalidTokenError('the access token was issued in the future');
      return payload;
    } catch (e) {
      throw new InvalidTokenError(reasonOf(e));
    }
  }

  private callerOf(payload: JWTPayload): Caller {
    const scopes = scopeList(payload[this.claims.scope]);
    const fhirUser = stringClaim(payload[this.claims.fhirUser]);
    const patient = patientId(stringClaim(payload[this.claims.patient]));
    const clientId = stringClaim(payload.client_id) ?? stringClaim(payload.azp);
    const caller: Caller = {
      kind: fhirUser ? 'user' : 'client',
      ...(clientId ? { clientId } : {}),
      ...(fhirUser ? { fhirUser } : {}),
      ...(patient ? { patient } : {}),
      scopes,
      ...(payload.sub ? { subject: payload.sub } : {}),
      ...(payload.jti ? { tokenId: payload.jti } : {}),
      expiresAt: payload.exp,
    };
    return Object.freeze(caller);
  }

  private async checkNotRevoked(jti: string | undefined): Promise<void> {
    if (!jti || !this.options.revocations) return;
    if (await this.options.revocations.get(REVOKED_TOKENS, jti)) throw new InvalidTokenError('the access token has been revoked');
  }

  private remember(token: string, entry: Verified): void {
    if (this.cache.size >= this.cacheSize) {
      // Expired entries go first; otherwise the least recently used one.
      const now = this.now();
      for (const [k, v] of this.cache) if (v.expiresAt <= now) this.cache.delete(k);
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(token, entry);
  }
}

/** A message for the client that says what is wrong without echoing the token. */
function reasonOf(e: unknown): string {
  if (e instanceof InvalidTokenError) return e.message;
  if (e instanceof joseErrors.JWTExpired) return 'the access token has expired';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return 'the access token is not valid yet';
    if (e.claim === 'iss') return 'the access token was issued by an issuer this server does not trust';
    if (e.claim === 'aud') return 'the access token is not meant for this server (aud)';
    return `the access token's ${e.claim} claim is missing or invalid`;
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'the access token is signed with an algorithm this server does not accept';
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'the access token is signed with a key this server does not know (kid)';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature does not verify';
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JOSEError) {
    if (e instanceof joseErrors.JWKSTimeout) return 'the signing keys could not be fetched in time';
    return 'the access token is malformed or cannot be verified';
  }
  return 'the access token cannot be verified';
}

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : undefined;
}

/** Scopes arrive space-separated (RFC 8693 `scope`) or, from some providers, as an array (`scp`). */
function scopeList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return [];
}

/** `123` or `Patient/123` (some providers put a reference in the claim) → `123`. */
function patientId(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const m = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(v);
  if (m) return m[1];
  return /^[A-Za-z0-9\-.]{1,64}$/.test(v) ? v : undefined;
}

/** A key source over a JWKS held in memory (tests, a key file). */
export function localKeySource(jwks: { keys: JWK[] }): KeySource {
  const set = createLocalJWKSet(jwks);
  return { getKey: (header, token) => set(header, token) };
}

/** A key source over a provider's JWKS URL; jose caches it and refetches (rate-limited) when a
 * token names a key it does not have yet, which is how providers rotate. */
export function remoteKeySource(url: string, timeoutMs = 5_000): KeySource {
  const set = createRemoteJWKSet(new URL(url), { timeoutDuration: timeoutMs, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
  return { getKey: (header, token) => set(header, token) };
}

/**
 * A key source over keys loaded from the database (smart mode: the authorization server's keys,
 * shared by every process). Loaded once and reloaded when a token names an unknown kid — a key
 * rotated in by another process — at most once per `reloadMs`, so forged kids cannot hammer the
 * database.
 */
export function loadedKeySource(load: () => Promise<{ keys: JWK[] }>, options: { reloadMs?: number; now?: () => number } = {}): KeySource {
  const reloadMs = options.reloadMs ?? 5_000;
  const now = options.now ?? Date.now;
  let set: ReturnType<typeof createLocalJWKSet> | undefined;
  let loadedAt = -Infinity;
  let loading: Promise<void> | undefined;
  const reload = () =>
    (loading ??= load()
      .then((jwks) => {
        set = createLocalJWKSet(jwks);
        loadedAt = now();
      })
      .finally(() => (loading = undefined)));
  return {
    async getKey(header, token) {
      if (!set) await reload();
      try {
        return await set!(header, token);
      } catch (e) {
        if (!(e instanceof joseErrors.JWKSNoMatchingKey) || now() - loadedAt < reloadMs) throw e;
        await reload();
        return set!(header, token);
      }
    },
  };
}
