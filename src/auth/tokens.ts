// Turns a grant into tokens: the access token (JWS per the contract with the resource server), the
// id_token for `openid`, a refresh token for `offline_access`/`online_access`, and the token
// response of SMART App Launch 2.0 (§ "Response: access token").
import { randomUUID } from 'node:crypto';
import { decodeJwt, jwtVerify, createLocalJWKSet, type JWTPayload } from 'jose';
import type { Grant, GrantStore } from './grants';
import { ACCESS_TOKEN_ALG, ID_TOKEN_ALG, type SigningKeys } from './keys';

export const ACCESS_TOKEN_SECONDS = 3600;
const OFFLINE_SECONDS = 90 * 86_400;
/** No sessions outlive a browser here, so "online" access is bounded by a working day. */
const ONLINE_SECONDS = 12 * 3600;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient?: string;
  encounter?: string;
  need_patient_banner?: boolean;
  id_token?: string;
  refresh_token?: string;
}

/** `fhirUser` as SMART wants it in tokens: the absolute URL of the user's resource. */
export function fhirUserUrl(aud: string, fhirUser: string | undefined): string | undefined {
  return fhirUser && (/^https?:\/\//.test(fhirUser) ? fhirUser : `${aud}/${fhirUser}`);
}

export class TokenIssuer {
  constructor(
    private readonly signer: SigningKeys,
    private readonly grants: GrantStore,
    private readonly now: () => number = Date.now,
  ) {}

  async accessToken(grant: Grant, ttlSeconds = ACCESS_TOKEN_SECONDS): Promise<{ token: string; exp: number; jti: string }> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + ttlSeconds;
    const jti = randomUUID();
    const claims: JWTPayload = {
      iss: grant.aud,
      aud: grant.aud,
      sub: grant.sub,
      client_id: grant.clientId,
      scope: grant.scope.join(' '),
      ...(grant.patient ? { patient: grant.patient } : {}),
      ...(grant.encounter ? { encounter: grant.encounter } : {}),
      ...(grant.fhirUser ? { fhirUser: fhirUserUrl(grant.aud, grant.fhirUser) } : {}),
      jti,
      iat,
      exp,
    };
    return { token: await this.signer.sign(claims, ACCESS_TOKEN_ALG, 'at+jwt'), exp, jti };
  }

  async response(grant: Grant, options: { nonce?: string; refresh?: boolean; refreshFamily?: string } = {}): Promise<TokenResponse> {
    const { token } = await this.accessToken(grant);
    const out: TokenResponse = { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS, scope: grant.scope.join(' ') };
    if (grant.patient) out.patient = grant.patient;
    if (grant.encounter) out.encounter = grant.encounter;
    if (grant.needPatientBanner !== undefined) out.need_patient_banner = grant.needPatientBanner;
    if (grant.scope.includes('openid') && grant.fhirUser && (grant.scope.includes('fhirUser') || grant.scope.includes('profile'))) {
      out.id_token = await this.idToken(grant, options.nonce);
    }
    const offline = grant.scope.includes('offline_access');
    if (options.refresh !== false && (offline || grant.scope.includes('online_access'))) {
      out.refresh_token = await this.grants.issueRefreshToken(grant, offline ? OFFLINE_SECONDS : ONLINE_SECONDS, options.refreshFamily);
    }
    return out;
  }

  private async idToken(grant: Grant, nonce: string | undefined): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const claims: JWTPayload = { iss: grant.aud, sub: grant.sub, aud: grant.clientId, iat, exp: iat + ACCESS_TOKEN_SECONDS, fhirUser: fhirUserUrl(grant.aud, grant.fhirUser) };
    if (nonce) claims.nonce = nonce;
    return this.signer.sign(claims, ID_TOKEN_ALG);
  }

  /** The claims of an access token this server issued and still honours; undefined otherwise. */
  async verifyOwn(token: string, issuer: string): Promise<JWTPayload | undefined> {
    try {
      decodeJwt(token);
      const jwks = createLocalJWKSet(await this.signer.jwks());
      const { payload } = await jwtVerify(token, jwks, { algorithms: [ACCESS_TOKEN_ALG], issuer, audience: issuer, currentDate: new Date(this.now()) });
      if (typeof payload.jti !== 'string' || (await this.grants.isRevoked(payload.jti))) return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }
}
