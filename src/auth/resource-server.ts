// The resource-server half of authorization, assembled from the settings: who the caller is (the
// Bearer token, verified) and what it may do (its scopes as an AccessPolicy). In smart mode the
// keys are the server's own (the authorization server's, in the database); in external mode the
// provider's JWKS URL.
import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, type Caller } from '../access/caller';
import { openPolicy, type AccessPolicy } from '../access/policy';
import type { Config } from '../config';
import type { SystemStore } from '../storage/engine';
import { bearerAuthenticator } from './authenticate';
import { NO_ACCESS, smartPolicy, type PolicyDeps } from './smart-policy';
import { EXTERNAL_ALGORITHMS, remoteKeySource, SMART_ALGORITHMS, TokenVerifier, type KeySource } from './verify-token';

export interface ResourceServerAuth {
  authenticate(req: IncomingMessage): Caller | Promise<Caller>;
  policyFor(caller: Caller): AccessPolicy;
  verifier?: TokenVerifier;
}

export interface ResourceServerDeps extends PolicyDeps {
  system: SystemStore;
  /** smart mode: the authorization server's public keys (src/auth/keys.ts, through loadedKeySource). */
  smartKeys?: KeySource;
  /** This server's FHIR base as a request reached it (rest/request.ts's rule), for smart mode
   * without a configured base URL (a development server on loopback). */
  baseUrlOf?: (req: IncomingMessage) => string;
}

export function resourceServerAuth(config: Config, deps: ResourceServerDeps): ResourceServerAuth {
  if (config.auth === 'off') return { authenticate: () => ANONYMOUS, policyFor: () => openPolicy };
  const verifier = new TokenVerifier(
    config.auth === 'smart'
      ? {
          keys: deps.smartKeys ?? missingSmartKeys(),
          issuer: config.authIssuer,
          audience: config.authAudience,
          algorithms: SMART_ALGORITHMS,
          revocations: deps.system,
          now: deps.now,
        }
      : {
          keys: remoteKeySource(config.authJwksUrl),
          issuer: config.authIssuer,
          audience: config.authAudience,
          algorithms: EXTERNAL_ALGORITHMS,
          claims: { scope: config.authScopeClaim, patient: config.authPatientClaim, fhirUser: config.authFhirUserClaim },
          // Revocation at an external provider is its business (short-lived tokens, introspection).
          now: deps.now,
        },
  );
  // One policy per verified caller: the verifier hands out the same Caller object for a cached
  // token, so the scopes are parsed once per token, not per request.
  const policies = new WeakMap<Caller, AccessPolicy>();
  const policyFor = (caller: Caller): AccessPolicy => {
    if (caller.kind === 'anonymous') return NO_ACCESS;
    let policy = policies.get(caller);
    if (!policy) policies.set(caller, (policy = smartPolicy(caller, deps)));
    return policy;
  };
  // smart mode, no NIMBUS_BASE_URL (loopback only, see checkListenSafety): this server issued the
  // token for its base as the client reached it, so that base is the expected iss and aud.
  const perRequest =
    config.auth === 'smart' && !config.baseUrl && deps.baseUrlOf
      ? (req: IncomingMessage) => {
          const base = deps.baseUrlOf!(req);
          return { issuer: base, audience: base };
        }
      : undefined;
  return { authenticate: bearerAuthenticator(verifier, perRequest), policyFor, verifier };
}

function missingSmartKeys(): KeySource {
  return {
    getKey: () => Promise.reject(new Error('smart mode has no signing keys: the authorization server (src/auth/keys.ts) provides them')),
  };
}
