// Who is calling. Anonymous until authorization is configured; the security layer fills in the
// client, the user (fhirUser), the patient in context and the granted scopes from a verified token.
export interface Caller {
  kind: 'anonymous' | 'user' | 'client';
  /** OAuth client id of the app or backend service. */
  clientId?: string;
  /** The user as a FHIR reference (`Practitioner/123`, `Patient/456`), from the token's fhirUser. */
  fhirUser?: string;
  /** Patient in context (SMART launch/patient), as a logical id. */
  patient?: string;
  /** Granted scopes, as in the token. */
  scopes?: string[];
  /** The token's subject (`sub`) and id (`jti`), for the audit trail. */
  subject?: string;
  tokenId?: string;
  /** When the token stops being valid (epoch seconds). */
  expiresAt?: number;
}

export const ANONYMOUS: Caller = Object.freeze({ kind: 'anonymous' });
