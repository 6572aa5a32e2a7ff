// The authorization server of `smart` mode as one router, mounted by app.ts at the root (outside
// the FHIR base, so the resource server's token check does not apply to it): SMART discovery at
// [base]/.well-known/smart-configuration, the JWKS, /oauth/authorize (+ pages), /oauth/token,
// /oauth/revoke, /oauth/introspect and /oauth/launch (EHR launch contexts, for administrators).
import express, { Router, type Request } from 'express';
import type { AuthorizationServices } from '../auth/authorization-server';
import { smartConfiguration } from '../auth/discovery';
import { OAUTH_MOUNT } from '../auth/endpoints';
import { authorizeRoutes, type PatientDirectory } from './oauth-authorize-routes';
import { tokenRoutes } from './oauth-token-routes';
import { baseUrlOf } from './request';

export interface OAuthServerDeps {
  auth: AuthorizationServices;
  patients: PatientDirectory;
  configuredBaseUrl: string;
  /** X-Forwarded-Host/-Proto count only when the proxy is trusted (NIMBUS_TRUST_PROXY). */
  trustProxy?: boolean;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export function oauthServer(deps: OAuthServerDeps): Router {
  const { auth } = deps;
  const fhirBase = (req: Request) => baseUrlOf(req, { baseUrl: deps.configuredBaseUrl, trustProxy: deps.trustProxy ?? false });
  const router = Router();
  router.get('/fhir/.well-known/smart-configuration', (req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json(smartConfiguration(fhirBase(req)));
  });

  const oauth = Router();
  oauth.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  oauth.get('/jwks', async (_req, res) => {
    // Make sure the current period's key exists before publishing, so the first token a resource
    // server sees is signed by a key it can find.
    await auth.signer.currentKey();
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(await auth.signer.jwks());
  });
  oauth.use(authorizeRoutes({ auth, patients: deps.patients, fhirBase }));
  oauth.use(tokenRoutes({ auth, fhirBase }));

  // EHR launch: an administrator (a token of this server whose user has the admin role) creates
  // the context an app then receives through the `launch` parameter.
  oauth.post('/launch', express.json({ limit: '16kb' }), async (req, res) => {
    const header = req.headers.authorization ?? '';
    const claims = /^Bearer /i.test(header) ? await auth.issuer.verifyOwn(header.slice(7).trim(), fhirBase(req)) : undefined;
    const user = typeof claims?.sub === 'string' ? await auth.users.get(claims.sub) : undefined;
    if (!claims) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      res.status(401).json({ error: 'invalid_token', error_description: 'send an access token of an administrator' });
      return;
    }
    if (user?.role !== 'admin') {
      res.status(403).json({ error: 'insufficient_scope', error_description: 'only administrators create launch contexts' });
      return;
    }
    const body = (req.body ?? {}) as { patient?: unknown; encounter?: unknown };
    for (const name of ['patient', 'encounter'] as const) {
      const v = body[name];
      if (v !== undefined && (typeof v !== 'string' || !ID.test(v))) {
        res.status(400).json({ error: 'invalid_request', error_description: `${name} must be a resource id` });
        return;
      }
    }
    const launch = await auth.grants.createLaunch({ patient: body.patient as string | undefined, encounter: body.encounter as string | undefined, fhirUser: user.fhirUser });
    res.status(201).json({ launch });
  });
  router.use(OAUTH_MOUNT, oauth);
  return router;
}
