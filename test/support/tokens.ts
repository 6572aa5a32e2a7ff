// An issuer for tests: a freshly generated signing key (RS384 or ES384), its public JWKS, and
// access tokens with the claims of the contract (iss, aud, sub, client_id, scope, patient,
// fhirUser, jti, iat, exp) — or with anything a test wants to break.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';

export const TEST_BASE = 'http://fhir.test/fhir';

export interface TestIssuer {
  kid: string;
  alg: 'RS384' | 'ES384';
  privateKey: KeyLike;
  publicJwk: JWK;
  jwks: { keys: JWK[] };
  /** A signed access token; `claims` override the defaults (undefined removes one). */
  token(claims?: Record<string, unknown>, options?: { kid?: string; alg?: string; key?: KeyLike }): Promise<string>;
}

export async function makeIssuer(options: { alg?: 'RS384' | 'ES384'; issuer?: string; audience?: string; kid?: string; now?: () => number } = {}): Promise<TestIssuer> {
  const alg = options.alg ?? 'RS384';
  const kid = options.kid ?? `test-${randomUUID().slice(0, 8)}`;
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const now = options.now ?? Date.now;
  return {
    kid,
    alg,
    privateKey,
    publicJwk,
    jwks: { keys: [publicJwk] },
    async token(claims = {}, o = {}) {
      const iat = Math.floor(now() / 1000);
      const all: Record<string, unknown> = {
        iss: options.issuer ?? TEST_BASE,
        aud: options.audience ?? TEST_BASE,
        sub: 'test-user',
        client_id: 'test-app',
        jti: randomUUID(),
        iat,
        exp: iat + 3600,
        ...claims,
      };
      for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
      return new SignJWT(all).setProtectedHeader({ alg: o.alg ?? alg, kid: o.kid ?? kid, typ: 'JWT' }).sign(o.key ?? privateKey);
    },
  };
}
