// The Authenticate hook of the request pipeline with auth on: the Bearer token of the
// Authorization header, verified, becomes the Caller. No token is a 401 with the Bearer challenge,
// except on the few public paths a client must reach before it has one (the CapabilityStatement
// and the SMART discovery document), where the caller is anonymous and may read no data.
import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, type Caller } from '../access/caller';
import { errors } from '../fhir/errors';
import { InvalidTokenError, type TokenVerifier } from './verify-token';

/** Paths (below the server root) answered without a token. */
export function isPublicPath(url: string): boolean {
  const path = url.split('?')[0];
  return path === '/fhir/metadata' || path.startsWith('/fhir/.well-known/') || path.startsWith('/.well-known/');
}

/** `expected`: the issuer and audience for this request when they are not fixed by the settings. */
export function bearerAuthenticator(
  verifier: TokenVerifier,
  expected?: (req: IncomingMessage) => { issuer: string; audience: string },
  isPublic: (url: string) => boolean = isPublicPath,
) {
  return async (req: IncomingMessage): Promise<Caller> => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      // Express rewrites req.url below a mount point; originalUrl is the path as requested.
      if (isPublic((req as { originalUrl?: string }).originalUrl ?? req.url ?? '')) return ANONYMOUS;
      throw errors.unauthorized('this server needs an access token: send Authorization: Bearer <token>');
    }
    const m = /^Bearer +([^\s]+) *$/i.exec(header);
    if (!m) throw errors.unauthorized('the Authorization header must be "Bearer <token>"', 'invalid_request');
    try {
      return await verifier.verify(m[1], expected?.(req));
    } catch (e) {
      if (e instanceof InvalidTokenError) throw errors.unauthorized(e.message, 'invalid_token');
      throw e;
    }
  };
}
