// POST /oauth/token (authorization_code with PKCE, refresh_token with rotation, client_credentials
// with private_key_jwt), /oauth/revoke (RFC 7009) and /oauth/introspect (RFC 7662).
import type { Request, Response } from 'express';
import { Router } from 'express';
import type { AuthorizationServices } from '../auth/authorization-server';
import { endpointsFor } from '../auth/endpoints';
import type { Grant } from '../auth/grants';
import { OAuthError, invalidClient, invalidGrant, invalidRequest, single } from '../auth/oauth-errors';
import { verifierMatches } from '../auth/pkce';
import { grantScopes, narrowScopes, splitScopes } from '../auth/scopes';
import { fhirUserUrl } from '../auth/tokens';

export interface TokenDeps {
  auth: AuthorizationServices;
  fhirBase(req: Request): string;
}

/** Token-endpoint answers must never be cached (RFC 6749 §5.1). */
function noStore(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
}

function sendOAuthError(res: Response, e: OAuthError): void {
  noStore(res);
  if (e.basicChallenge) res.setHeader('WWW-Authenticate', 'Basic realm="nimbus-fhir"');
  res.status(e.status).json({ error: e.error, error_description: e.description });
}

type Handler = (req: Request, res: Response) => Promise<void>;

/** OAuthErrors become RFC 6749 §5.2 answers; anything else goes to the error middleware. */
const oauth =
  (handler: Handler) =>
  async (req: Request, res: Response): Promise<void> => {
    try {
      await handler(req, res);
    } catch (e) {
      if (e instanceof OAuthError) sendOAuthError(res, e);
      else throw e;
    }
  };

function requireForm(req: Request): Record<string, unknown> {
  if (!req.is('application/x-www-form-urlencoded')) throw invalidRequest('send the parameters as application/x-www-form-urlencoded');
  return req.body as Record<string, unknown>;
}

export function tokenRoutes(deps: TokenDeps): Router {
  const { auth } = deps;
  const router = Router();

  router.post(
    '/token',
    oauth(async (req, res) => {
      const body = requireForm(req);
      const grantType = single(body, 'grant_type');
      const tokenUrl = endpointsFor(deps.fhirBase(req)).token;
      const { client, confidential } = await auth.clientAuth.authenticate(req.headers.authorization, body, tokenUrl);
      noStore(res);
      if (grantType === 'authorization_code') {
        const code = single(body, 'code');
        const verifier = single(body, 'code_verifier');
        const redirectUri = single(body, 'redirect_uri');
        if (!code) throw invalidRequest('code is missing');
        if (!verifier) throw invalidRequest('code_verifier is missing (PKCE is required)');
        const issued = await auth.grants.redeemCode(code);
        // One answer for every mismatch, so a guessed code teaches nothing.
        if (!issued || issued.grant.clientId !== client.clientId) throw invalidGrant('the code is unknown, expired, already used or issued to another client');
        if (issued.redirectUri !== redirectUri) throw invalidGrant('redirect_uri differs from the one of the authorization request');
        if (!verifierMatches(verifier, issued.codeChallenge)) throw invalidGrant('code_verifier does not match the code_challenge');
        res.json(await auth.issuer.response(issued.grant, { nonce: issued.nonce }));
        return;
      }
      if (grantType === 'refresh_token') {
        const token = single(body, 'refresh_token');
        if (!token) throw invalidRequest('refresh_token is missing');
        const stored = await auth.grants.refreshToken(token);
        if (!stored || stored.value.grant.clientId !== client.clientId) throw invalidGrant('the refresh token is unknown, expired, revoked or issued to another client');
        if (stored.value.rotated) {
          // A used token coming back means two parties hold it: end the whole grant.
          await auth.grants.revokeRefreshFamily(stored.family);
          throw invalidGrant('the refresh token was already used; every refresh token of this grant is now revoked');
        }
        const requested = single(body, 'scope');
        let scope = stored.value.grant.scope;
        if (requested !== undefined) {
          const narrowed = narrowScopes(splitScopes(requested), scope);
          if (!narrowed || narrowed.length === 0) throw new OAuthError('invalid_scope', 'a refresh may only ask for scopes of the original grant');
          scope = narrowed;
        }
        // Rotation: the old token works once; a concurrent second use loses the race.
        if (!(await auth.grants.rotateRefreshToken(stored))) throw invalidGrant('the refresh token was already used');
        const grant: Grant = { ...stored.value.grant, scope };
        res.json(await auth.issuer.response(grant, { refreshFamily: stored.family }));
        return;
      }
      if (grantType === 'client_credentials') {
        if (!confidential || client.auth.method !== 'private_key_jwt') throw new OAuthError('unauthorized_client', 'client_credentials needs a client registered with a JWKS (private_key_jwt)');
        const scope = grantScopes(splitScopes(single(body, 'scope')), client.scope, 'client_credentials');
        if (scope.length === 0) throw new OAuthError('invalid_scope', `ask for system/ scopes this client is registered for (${client.scope})`);
        const grant: Grant = { clientId: client.clientId, scope, sub: client.clientId, aud: deps.fhirBase(req) };
        res.json(await auth.issuer.response(grant, { refresh: false }));
        return;
      }
      throw new OAuthError('unsupported_grant_type', `grant_type must be authorization_code, refresh_token or client_credentials${grantType ? `, not ${grantType.slice(0, 60)}` : ''}`);
    }),
  );

  router.post(
    '/revoke',
    oauth(async (req, res) => {
      const body = requireForm(req);
      const { client } = await auth.clientAuth.authenticate(req.headers.authorization, body, endpointsFor(deps.fhirBase(req)).token);
      const token = single(body, 'token');
      if (!token) throw invalidRequest('token is missing');
      noStore(res);
      const refresh = await auth.grants.refreshToken(token);
      if (refresh) {
        if (refresh.value.grant.clientId !== client.clientId) throw new OAuthError('unauthorized_client', 'the token was issued to another client');
        await auth.grants.revokeRefreshFamily(refresh.family);
      } else {
        const claims = await auth.issuer.verifyOwn(token, deps.fhirBase(req));
        if (claims) {
          if (claims.client_id !== client.clientId) throw new OAuthError('unauthorized_client', 'the token was issued to another client');
          await auth.grants.revokeAccessToken(claims.jti!, claims.exp!);
        }
      }
      // RFC 7009 §2.2: unknown or already invalid tokens are answered 200 as well.
      res.status(200).end();
    }),
  );

  router.post(
    '/introspect',
    oauth(async (req, res) => {
      const body = requireForm(req);
      const { confidential } = await auth.clientAuth.authenticate(req.headers.authorization, body, endpointsFor(deps.fhirBase(req)).token);
      // RFC 7662 §2.1: the endpoint is protected; public clients cannot keep a credential.
      if (!confidential) throw invalidClient('introspection needs a confidential client (client_secret_basic or private_key_jwt)');
      const token = single(body, 'token');
      if (!token) throw invalidRequest('token is missing');
      noStore(res);
      const base = deps.fhirBase(req);
      const claims = await auth.issuer.verifyOwn(token, base);
      if (claims) {
        res.json({ active: true, token_type: 'Bearer', ...claims });
        return;
      }
      const refresh = await auth.grants.refreshToken(token);
      if (refresh && !refresh.value.rotated) {
        const g = refresh.value.grant;
        res.json({
          active: true,
          token_type: 'refresh_token',
          client_id: g.clientId,
          scope: g.scope.join(' '),
          sub: g.sub,
          exp: refresh.value.exp,
          iss: g.aud,
          ...(g.patient ? { patient: g.patient } : {}),
          ...(g.fhirUser ? { fhirUser: fhirUserUrl(g.aud, g.fhirUser) } : {}),
        });
        return;
      }
      res.json({ active: false });
    }),
  );

  return router;
}
