// GET/POST /oauth/authorize and the pages behind it (SMART App Launch 2.0, authorization code with
// PKCE): the request is checked and remembered in the SystemStore, the user signs in on the login
// page, picks a patient when the app asked for `launch/patient` without an EHR context, allows or
// denies, and the browser goes back to the app with a one-time code. Each form carries a CSRF
// token that must also come back in a cookie only this browser holds.
import type { Request, Response } from 'express';
import { Router } from 'express';
import type { AuthorizationServices } from '../auth/authorization-server';
import { isRegisteredRedirect, type OAuthClient } from '../auth/clients';
import { endpointsFor } from '../auth/endpoints';
import { newSecret, type Grant, type LaunchContext, type PendingAuthorization } from '../auth/grants';
import { OAuthError, invalidRequest, single } from '../auth/oauth-errors';
import { consentPage, errorPage, loginPage, PAGE_HEADERS, type PatientChoice } from '../auth/pages';
import { CODE_CHALLENGE } from '../auth/pkce';
import { grantScopes, splitScopes } from '../auth/scopes';

/** The patients a practitioner may pick from, and whether an id names one. */
export interface PatientDirectory {
  /** Patients whose name matches `name` (all, up to a page, when absent). */
  choices(name?: string): Promise<PatientChoice[]>;
  exists(id: string): Promise<boolean>;
}

export interface AuthorizeDeps {
  auth: AuthorizationServices;
  patients: PatientDirectory;
  fhirBase(req: Request): string;
}

const COOKIE_PREFIX = 'nimbus_authz_';
const cookieName = (requestId: string) => `${COOKIE_PREFIX}${requestId.slice(0, 16)}`;

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set(PAGE_HEADERS).send(html);
}

/** The app's redirect URI with the answer appended to its own query (RFC 6749 §4.1.2). */
function redirectTo(res: Response, redirectUri: string, params: Record<string, string | undefined>): void {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  res.setHeader('Cache-Control', 'no-store');
  res.redirect(303, url.toString());
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function authorizeRoutes(deps: AuthorizeDeps): Router {
  const { auth } = deps;
  const router = Router();
  // Absolute URLs from the public base, so the pages work behind a proxy that adds a prefix.
  const paths = (req: Request) => {
    const authorizeUrl = endpointsFor(deps.fhirBase(req)).authorize;
    return { login: `${authorizeUrl}/login`, decide: `${authorizeUrl}/decide`, cookiePath: new URL(authorizeUrl).pathname };
  };

  const authorize = async (req: Request, res: Response) => {
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
    // Until the client and its redirect URI are known to be right, errors are shown here, never
    // sent to a URI an attacker may have chosen (RFC 6749 §4.1.2.1).
    let client: OAuthClient | undefined;
    let redirectUri: string | undefined;
    try {
      const clientId = single(params, 'client_id');
      if (!clientId) throw invalidRequest('client_id is missing');
      client = await auth.clients.get(clientId);
      if (!client) throw invalidRequest(`unknown client_id '${clientId.slice(0, 100)}'`);
      redirectUri = single(params, 'redirect_uri');
      if (!redirectUri) throw invalidRequest('redirect_uri is missing');
      if (!isRegisteredRedirect(client, redirectUri, deps.fhirBase(req))) throw invalidRequest('redirect_uri is not one registered for this client (exact match required)');
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      return sendPage(res, 400, errorPage(e.description));
    }
    let state: string | undefined;
    try {
      state = single(params, 'state');
      if (single(params, 'response_type') !== 'code') throw new OAuthError('unsupported_response_type', 'response_type must be code');
      if (!state) throw invalidRequest('state is missing (SMART App Launch requires it)');
      const method = single(params, 'code_challenge_method');
      const challenge = single(params, 'code_challenge');
      if (method !== 'S256') throw invalidRequest(`code_challenge_method must be S256${method ? ` (not ${method})` : ''}: PKCE is required`);
      if (!challenge || !CODE_CHALLENGE.test(challenge)) throw invalidRequest('code_challenge must be the base64url SHA-256 of the code verifier (43 characters)');
      const base = deps.fhirBase(req);
      const aud = single(params, 'aud');
      if (aud?.replace(/\/+$/, '') !== base) throw invalidRequest(`aud must be this server's FHIR base URL ${base}`);
      const scope = grantScopes(splitScopes(single(params, 'scope')), client.scope, 'authorization_code');
      if (scope.length === 0) throw new OAuthError('invalid_scope', `none of the requested scopes is allowed for this client (it may ask for: ${client.scope})`);
      const launchId = single(params, 'launch');
      let launch: LaunchContext | undefined;
      if (launchId !== undefined) {
        launch = await auth.grants.launch(launchId);
        if (!launch) throw invalidRequest('launch does not name a current launch context (it may have expired)');
        if (!scope.includes('launch')) throw invalidRequest('an EHR launch needs the launch scope');
      } else if (scope.includes('launch')) {
        throw invalidRequest('the launch scope needs the launch parameter of an EHR launch');
      }
      const pending: PendingAuthorization = {
        clientId: client.clientId,
        redirectUri,
        state,
        scope,
        codeChallenge: challenge,
        aud: base,
        nonce: single(params, 'nonce'),
        launch,
        csrf: newSecret(),
      };
      const requestId = await auth.grants.startAuthorization(pending);
      res.cookie(cookieName(requestId), pending.csrf, { httpOnly: true, sameSite: 'lax', secure: deps.fhirBase(req).startsWith('https:'), path: paths(req).cookiePath, maxAge: 600_000 });
      sendPage(res, 200, loginPage({ action: paths(req).login, request: requestId, csrf: pending.csrf, appName: client.name }));
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      redirectTo(res, redirectUri, { error: e.error, error_description: e.description, state });
    }
  };
  router.get('/authorize', authorize);
  router.post('/authorize', authorize);

  /** The pending request of a form post, when the CSRF token of the form, the cookie and the
   * stored request agree; an error page otherwise. */
  const pendingOf = async (req: Request, res: Response) => {
    const body = req.body as Record<string, unknown> | undefined;
    const requestId = typeof body?.request === 'string' ? body.request : '';
    const csrf = typeof body?.csrf === 'string' ? body.csrf : '';
    const pending = await auth.grants.pending(requestId);
    if (!pending || !csrf || pending.value.csrf !== csrf || readCookie(req, cookieName(requestId)) !== csrf) {
      sendPage(res, 400, errorPage('This sign-in form has expired or was not sent from this browser.'));
      return undefined;
    }
    return { requestId, ...pending };
  };

  router.post('/authorize/login', async (req, res) => {
    const p = await pendingOf(req, res);
    if (!p) return;
    const client = await auth.clients.get(p.value.clientId);
    const body = req.body as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const appName = client?.name ?? p.value.clientId;
    const again = (status: number, error: string) => sendPage(res, status, loginPage({ action: paths(req).login, request: p.requestId, csrf: p.value.csrf, appName, error }));
    if (await auth.logins.blocked(username)) return again(429, 'Too many failed sign-ins for this user name: try again in 15 minutes.');
    const user = await auth.users.authenticate(username, password);
    if (!user) {
      await auth.logins.failed(username);
      return again(401, 'Unknown user name or wrong password.');
    }
    await auth.logins.succeeded(username);
    const signedIn = { ...p.value, user: { username: user.username, fhirUser: user.fhirUser, role: user.role } };
    if (!(await auth.grants.updatePending(p.requestId, signedIn, p.rev))) return sendPage(res, 409, errorPage('This sign-in was completed in another window.'));
    sendPage(res, 200, await consent(req, signedIn, p.requestId, appName));
  });

  /** Which patient the grant is about: the EHR's, the patient user's own, or one to pick. */
  const patientContext = (p: PendingAuthorization): { patient?: string; pick: boolean } => {
    if (p.launch?.patient) return { patient: p.launch.patient, pick: false };
    if (!p.scope.includes('launch/patient')) return { pick: false };
    if (p.user?.role === 'patient') return { patient: p.user.fhirUser.slice('Patient/'.length), pick: false };
    return { pick: true };
  };

  const consent = async (req: Request, p: PendingAuthorization, requestId: string, appName: string, error?: string, name?: string) => {
    const { patient, pick } = patientContext(p);
    return consentPage({
      action: paths(req).decide,
      request: requestId,
      csrf: p.csrf,
      appName,
      user: `${p.user!.username} (${p.user!.fhirUser})`,
      scopes: p.scope,
      patient,
      patients: pick ? await deps.patients.choices(name) : undefined,
      patientSearch: name,
      error,
    });
  };

  router.post('/authorize/decide', async (req, res) => {
    const p = await pendingOf(req, res);
    if (!p) return;
    const pending = p.value;
    if (!pending.user) return sendPage(res, 400, errorPage('Sign in first.'));
    const body = req.body as Record<string, unknown>;
    const client = await auth.clients.get(pending.clientId);
    const appName = client?.name ?? pending.clientId;
    if (body.decision === 'search') {
      const name = typeof body.name === 'string' ? body.name.trim().slice(0, 100) : '';
      return sendPage(res, 200, await consent(req, pending, p.requestId, appName, undefined, name || undefined));
    }
    if (body.decision !== 'allow') {
      await auth.grants.finishPending(p.requestId, p.rev);
      return redirectTo(res, pending.redirectUri, { error: 'access_denied', error_description: 'the user denied access', state: pending.state });
    }
    const context = patientContext(pending);
    let patient = context.patient;
    if (context.pick) {
      const picked = typeof body.patient === 'string' ? body.patient : '';
      if (!picked || !(await deps.patients.exists(picked))) {
        return sendPage(res, 400, await consent(req, pending, p.requestId, appName, 'Choose a patient from the list.'));
      }
      patient = picked;
    }
    // One decision per request: a second post (double click, replay) finds it gone.
    if (!(await auth.grants.finishPending(p.requestId, p.rev))) return sendPage(res, 409, errorPage('This request was already decided.'));
    res.clearCookie(cookieName(p.requestId), { path: paths(req).cookiePath });
    const grant: Grant = {
      clientId: pending.clientId,
      scope: pending.scope,
      sub: pending.user.username,
      fhirUser: pending.user.fhirUser,
      aud: pending.aud,
      ...(patient ? { patient, needPatientBanner: !pending.launch } : {}),
      ...(pending.launch?.encounter ? { encounter: pending.launch.encounter } : {}),
    };
    const code = await auth.grants.issueCode({ grant, redirectUri: pending.redirectUri, codeChallenge: pending.codeChallenge, nonce: pending.nonce });
    redirectTo(res, pending.redirectUri, { code, state: pending.state });
  });

  return router;
}

