// OAuth 2.0 errors (RFC 6749 §5.2, RFC 7009, RFC 7662): a JSON body `{ error, error_description }`
// with the status the RFC names, never an OperationOutcome (these endpoints are not FHIR).
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'unsupported_token_type';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
    /** invalid_client after HTTP Basic: the challenge the RFC asks for. */
    readonly basicChallenge = false,
  ) {
    super(description);
  }
}

export const invalidRequest = (why: string) => new OAuthError('invalid_request', why);
export const invalidClient = (why: string, basic = false) => new OAuthError('invalid_client', why, 401, basic);
export const invalidGrant = (why: string) => new OAuthError('invalid_grant', why);

/** One value of a form or query parameter; a repeated parameter is an error (RFC 6749 §3.1). */
export function single(source: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = source?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`parameter ${name} must appear once`);
  return v;
}
