// The authorization server's signing keys, kept in the SystemStore so that every server process
// over one database and the CLI sign with the same key and publish the same JWKS.
//
// Rotation without coordination: time is cut into periods of `rotationMs`; the key of period n is
// the document `signing-key/period-<n>`. Whoever needs to sign first in a period generates a key
// and tries to insert it; the store's insert is a compare-and-set, so when several processes start
// together exactly one key wins and the others adopt it. A key stays published (in the JWKS) for
// its period plus `overlapMs`, so tokens it signed just before the next period began stay
// verifiable until they expire; the document's expiry removes it after that.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import type { SystemStore } from '../storage/engine';

export const SIGNING_KEYS = 'signing-key';
/** Access tokens are RS384 (the contract with the resource server); id_tokens RS256, the OpenID
 * Connect default every client accepts. One RSA key serves both. */
export const ACCESS_TOKEN_ALG = 'RS384';
export const ID_TOKEN_ALG = 'RS256';

export interface KeyPolicy {
  /** How long one key signs new tokens. */
  rotationMs: number;
  /** How long a key stays published after it stops signing: the longest token lifetime. */
  overlapMs: number;
}

export const DEFAULT_KEY_POLICY: KeyPolicy = { rotationMs: 30 * 86_400_000, overlapMs: 7 * 86_400_000 };

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  /** When it stops signing (ISO). */
  activeUntil: string;
}

/** Public keys of every key still published (the current one and those in their overlap). */
export async function localJwks(system: SystemStore): Promise<{ keys: JWK[] }> {
  const keys: JWK[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await system.list<StoredKey>(SIGNING_KEYS, { after, limit: 50 });
    keys.push(...page.map((d) => d.value.publicJwk));
    if (page.length < 50) break;
    after = page[page.length - 1].key;
  }
  return { keys };
}

export interface SigningKey {
  kid: string;
  key: KeyLike;
  activeUntil: number;
}

/** Where the authorization server's keys come from: the database (TokenSigner, below) or a key
 * file an operator manages (key-file.ts, NIMBUS_AUTH_KEY_FILE). */
export interface SigningKeys {
  /** The key that signs new tokens now. */
  currentKey(): Promise<SigningKey>;
  /** A compact JWS of `payload` with the current key (`kid` in the header). */
  sign(payload: JWTPayload, alg?: typeof ACCESS_TOKEN_ALG | typeof ID_TOKEN_ALG, typ?: string): Promise<string>;
  /** The public keys that verify this server's tokens (the current key and those still honoured). */
  jwks(): Promise<{ keys: JWK[] }>;
}

/** Signs with the key of the current period, creating it (race-safely) when it does not exist yet. */
export class TokenSigner implements SigningKeys {
  private current?: Promise<SigningKey>;

  constructor(
    private readonly system: SystemStore,
    private readonly policy: KeyPolicy = DEFAULT_KEY_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  async currentKey(): Promise<SigningKey> {
    const cached = this.current && (await this.current.catch(() => undefined));
    if (cached && cached.activeUntil > this.now()) return cached;
    this.current = this.loadOrCreate();
    return this.current;
  }

  /** A compact JWS of `payload` with the current key (`kid` in the header). */
  async sign(payload: JWTPayload, alg: typeof ACCESS_TOKEN_ALG | typeof ID_TOKEN_ALG = ACCESS_TOKEN_ALG, typ?: string): Promise<string> {
    const { kid, key } = await this.currentKey();
    return new SignJWT(payload).setProtectedHeader({ alg, kid, ...(typ ? { typ } : {}) }).sign(key);
  }

  jwks(): Promise<{ keys: JWK[] }> {
    return localJwks(this.system);
  }

  private async loadOrCreate(): Promise<SigningKey> {
    const period = Math.floor(this.now() / this.policy.rotationMs);
    const docKey = `period-${period}`;
    for (let attempt = 0; ; attempt++) {
      const existing = await this.system.get<StoredKey>(SIGNING_KEYS, docKey);
      if (existing) return toSigningKey(existing.value);
      const created = await generate((period + 1) * this.policy.rotationMs);
      try {
        // Kept until the end of its period plus the overlap; then the store forgets it.
        const expiresAt = new Date((period + 1) * this.policy.rotationMs + this.policy.overlapMs).toISOString();
        if (await this.system.insert(SIGNING_KEYS, docKey, created, { expiresAt })) return toSigningKey(created);
      } catch (e) {
        // Another writer of the same document (the CLI beside a running SQLite server) can make
        // the insert fail rather than return false; the winner's key is read on the next round.
        if (attempt >= 2) throw e;
      }
      if (attempt >= 2) throw new Error('could not create or read the signing key');
    }
  }
}

async function generate(activeUntil: number): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid },
    publicJwk: { ...publicJwk, kid, use: 'sig' },
    activeUntil: new Date(activeUntil).toISOString(),
  };
}

async function toSigningKey(stored: StoredKey): Promise<SigningKey> {
  const key = (await importJWK(stored.privateJwk, ACCESS_TOKEN_ALG)) as KeyLike;
  return { kid: stored.kid, key, activeUntil: Date.parse(stored.activeUntil) };
}
