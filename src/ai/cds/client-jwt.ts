// Trusting CDS clients (CDS Hooks 2.0 "Security and Safety"): with NIMBUS_CDS_TRUSTED_ISSUERS set,
// every call to /cds-services carries `Authorization: Bearer <JWT>` signed by the client. Checked:
// the header (`typ` JWT, a `kid`, an asymmetric `alg`: never `none` nor HMAC), the issuer against
// the allow-list, the signature against that issuer's configured JWKS (a `jku` header must name
// that same URL: a token cannot point us at keys of its own choosing), `aud` = the URL of the
// endpoint called, `exp` and `iat`, and `jti` once only (kept in the shared SystemStore until the
// token expires, so a replay to another server process is refused too).
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { CdsTrustedIssuer } from '../../config';
import type { SystemStore } from '../../storage/engine';
import { CdsError } from './hook-request';

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const JTI_COLLECTION = 'cds-client-jti';
/** Longest token lifetime accepted: a CDS client JWT authenticates one call. */
const MAX_LIFETIME_S = 3600;

export interface CdsClient {
  issuer: string;
  tenant?: string;
}

const unauthorized = (why: string) => new CdsError(401, 'invalid_token', `CDS client JWT refused: ${why}`);

export class CdsClientVerifier {
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly trusted: readonly CdsTrustedIssuer[], private readonly system: SystemStore, private readonly now: () => Date) {}

  get enabled(): boolean {
    return this.trusted.length > 0;
  }

  /** `audiences`: the URLs this call may be addressed to (the endpoint called). */
  async verify(authorization: string | undefined, audiences: string[]): Promise<CdsClient> {
    const m = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '');
    if (!m) throw unauthorized('send Authorization: Bearer <JWT signed by a trusted CDS client>');
    const token = m[1];
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw unauthorized('not a JWT');
    }
    if (header.typ !== 'JWT') throw unauthorized('the header must have typ "JWT"');
    if (!header.kid) throw unauthorized('the header must name the key (kid)');
    if (!header.alg || !ASYMMETRIC.includes(header.alg)) throw unauthorized(`alg ${header.alg ?? '(none)'} is not accepted; sign with an asymmetric algorithm such as ES384 or RS384`);
    const issuer = this.trusted.find((t) => t.issuer === claims.iss);
    if (!issuer) throw unauthorized(`issuer ${String(claims.iss).slice(0, 100)} is not trusted`);
    if (header.jku !== undefined && header.jku !== issuer.jwksUrl) throw unauthorized('jku is not the JWK Set URL configured for this issuer');
    if (typeof claims.jti !== 'string' || !claims.jti) throw unauthorized('jti is required');
    let keys = this.keySets.get(issuer.jwksUrl);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(issuer.jwksUrl), { timeoutDuration: 5000 });
      this.keySets.set(issuer.jwksUrl, keys);
    }
    try {
      await jwtVerify(token, keys, {
        issuer: issuer.issuer,
        audience: audiences,
        algorithms: ASYMMETRIC,
        requiredClaims: ['exp', 'iat', 'jti'],
        currentDate: this.now(),
        clockTolerance: 30,
        maxTokenAge: MAX_LIFETIME_S,
      });
    } catch (e) {
      if (e instanceof joseErrors.JWTClaimValidationFailed) throw unauthorized(`${e.claim} ${e.reason === 'check_failed' ? 'does not match' : e.reason}${e.claim === 'aud' ? ` (expected ${audiences[0]})` : ''}`);
      if (e instanceof joseErrors.JWTExpired) throw unauthorized('the token has expired');
      if (e instanceof joseErrors.JWKSNoMatchingKey) throw unauthorized(`no key ${header.kid} in the issuer's JWK Set`);
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw unauthorized('the signature does not verify');
      if (e instanceof joseErrors.JOSEError) throw unauthorized(`${e.code}: ${e.message.slice(0, 120)}`);
      throw e;
    }
    // Kept while the token could still be accepted; the SystemStore expires by the wall clock, so the
    // token's remaining lifetime (on the server's clock) is counted from the wall clock's now.
    const remainingMs = Math.min((claims.exp ?? 0) * 1000 - this.now().getTime(), MAX_LIFETIME_S * 1000);
    const expiresAt = new Date(Date.now() + Math.max(0, remainingMs) + 60_000).toISOString();
    const fresh = await this.system.insert(JTI_COLLECTION, `${issuer.issuer}|${claims.jti}`.slice(0, 512), { at: this.now().toISOString() }, { expiresAt });
    if (!fresh) throw unauthorized('this jti was used before (replay)');
    return { issuer: issuer.issuer, ...(typeof claims.tenant === 'string' ? { tenant: claims.tenant } : {}) };
  }
}
