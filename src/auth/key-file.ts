// The authorization server's signing keys from a file an operator manages (NIMBUS_AUTH_KEY_FILE),
// instead of the keys the server generates and rotates in the database (keys.ts). For sites whose
// keys come from a vault or a key ceremony, or must be the same across several databases.
//
// The file holds one or more RSA private keys (2048 bits or more), either
// - a JWKS: `{"keys":[{"kty":"RSA","kid":"2026-12","n":…,"e":…,"d":…,"p":…,"q":…,"dp":…,"dq":…,"qi":…}, …]}`
//   (`kid` optional: the key's RFC 7638 thumbprint when absent), or
// - PEM: one or more `-----BEGIN PRIVATE KEY-----` (PKCS#8) or `-----BEGIN RSA PRIVATE KEY-----`
//   (PKCS#1) blocks, one after the other (each key's kid is its thumbprint).
// The FIRST key signs new tokens; every key in the file is published in the JWKS, so tokens signed
// by a key that is no longer first stay valid until they expire. Rotation: put the new key first,
// keep the previous one after it for at least the longest token lifetime, then remove it.
// The file is read again whenever it changes (checked at most once a second), so every process
// that names the same file — servers and the CLI — signs with the same key without a restart.
// Replace the file atomically (write a new file, then rename it over the old one).
import crypto from 'node:crypto';
import fs from 'node:fs';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { ACCESS_TOKEN_ALG, ID_TOKEN_ALG, type SigningKey, type SigningKeys } from './keys';

/** A key file that cannot be used, with what to fix. */
export class KeyFileError extends Error {}

interface Loaded {
  /** The file's identity when read: modification time and size. */
  stamp: string;
  keys: Array<SigningKey & { publicJwk: JWK }>;
}

const CHECK_MS = 1000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

export class KeyFileSigner implements SigningKeys {
  private loaded?: Loaded;
  private checkedAt = -Infinity;
  private loading?: Promise<Loaded>;

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  async currentKey(): Promise<SigningKey> {
    return (await this.current()).keys[0];
  }

  async sign(payload: JWTPayload, alg: typeof ACCESS_TOKEN_ALG | typeof ID_TOKEN_ALG = ACCESS_TOKEN_ALG, typ?: string): Promise<string> {
    const { kid, key } = await this.currentKey();
    return new SignJWT(payload).setProtectedHeader({ alg, kid, ...(typ ? { typ } : {}) }).sign(key);
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.current()).keys.map((k) => k.publicJwk) };
  }

  /** The keys as the file holds them now (re-read when it changed). A file that became unreadable
   * or invalid while the server runs keeps the last good keys (a half-written file must not stop
   * token issuance); at start-up it is an error. */
  private async current(): Promise<Loaded> {
    if (this.loaded && this.now() - this.checkedAt < CHECK_MS) return this.loaded;
    this.loading ??= this.reload().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async reload(): Promise<Loaded> {
    try {
      const stat = await fs.promises.stat(this.file);
      const stamp = `${stat.mtimeMs}:${stat.size}`;
      if (this.loaded?.stamp !== stamp) this.loaded = { stamp, keys: await parseKeyFile(await fs.promises.readFile(this.file, 'utf8'), this.file) };
    } catch (e) {
      if (!this.loaded) throw e instanceof KeyFileError ? e : new KeyFileError(`NIMBUS_AUTH_KEY_FILE ${this.file} cannot be read: ${(e as Error).message}`);
    }
    this.checkedAt = this.now();
    return this.loaded!;
  }
}

/** The keys of a key file's text, in the file's order. */
export async function parseKeyFile(text: string, name: string): Promise<Loaded['keys']> {
  const trimmed = text.trim();
  const objects: Array<{ key: crypto.KeyObject; kid?: string }> = trimmed.startsWith('{') ? jwksKeys(trimmed, name) : pemKeys(trimmed, name);
  if (!objects.length) throw new KeyFileError(`NIMBUS_AUTH_KEY_FILE ${name} holds no private key: give a JWKS ({"keys":[…]}) or PEM private keys`);
  const keys: Loaded['keys'] = [];
  const kids = new Set<string>();
  for (const [i, { key, kid }] of objects.entries()) {
    const where = `key ${i + 1} of NIMBUS_AUTH_KEY_FILE ${name}`;
    if (key.asymmetricKeyType !== 'rsa') throw new KeyFileError(`${where} is ${key.asymmetricKeyType ?? 'not an asymmetric key'}: access tokens are RS384 and id_tokens RS256, so every key must be RSA`);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new KeyFileError(`${where} has ${bits} bits: RSA keys need at least 2048`);
    const publicJwk = await exportJWK(crypto.createPublicKey(key));
    const id = kid ?? (await calculateJwkThumbprint(publicJwk));
    if (kids.has(id)) throw new KeyFileError(`${where} repeats the kid '${id}': every key needs its own`);
    kids.add(id);
    // Signing keys never expire by date: the file's order says which one signs.
    keys.push({ kid: id, key, activeUntil: Infinity, publicJwk: { ...publicJwk, kid: id, use: 'sig' } });
  }
  return keys;
}

function jwksKeys(text: string, name: string): Array<{ key: crypto.KeyObject; kid?: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new KeyFileError(`NIMBUS_AUTH_KEY_FILE ${name} is not valid JSON: ${(e as Error).message}`);
  }
  const list = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(list)) throw new KeyFileError(`NIMBUS_AUTH_KEY_FILE ${name} is JSON but not a JWKS: expected {"keys":[…]}`);
  return list.map((jwk: JWK, i) => {
    if (!jwk || typeof jwk !== 'object' || typeof jwk.d !== 'string') {
      throw new KeyFileError(`key ${i + 1} of NIMBUS_AUTH_KEY_FILE ${name} is not a private key (no "d"): the file must hold the private keys; the server publishes their public halves`);
    }
    try {
      const key = crypto.createPrivateKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
      return { key, ...(typeof jwk.kid === 'string' && jwk.kid ? { kid: jwk.kid } : {}) };
    } catch (e) {
      throw new KeyFileError(`key ${i + 1} of NIMBUS_AUTH_KEY_FILE ${name} cannot be used: ${(e as Error).message}`);
    }
  });
}

function pemKeys(text: string, name: string): Array<{ key: crypto.KeyObject }> {
  const blocks = text.match(/-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g) ?? [];
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text)) throw new KeyFileError(`NIMBUS_AUTH_KEY_FILE ${name} holds an encrypted private key: give it unencrypted (protect the file with its permissions)`);
  return blocks.map((pem, i) => {
    try {
      return { key: crypto.createPrivateKey(pem) };
    } catch (e) {
      throw new KeyFileError(`PEM block ${i + 1} of NIMBUS_AUTH_KEY_FILE ${name} cannot be read: ${(e as Error).message}`);
    }
  });
}

/** Whether a JWK carries private members (the JWKS a server publishes must not). */
export function hasPrivateMembers(jwk: JWK): boolean {
  return PRIVATE_MEMBERS.some((m) => m in jwk);
}
