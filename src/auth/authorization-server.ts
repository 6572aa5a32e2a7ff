// The authorization server's services in one place (stores, signer, token issuer, client
// authentication), built once per process over the SystemStore; the HTTP routes (rest/oauth-*)
// and the tests take them from here.
import type { SystemStore } from '../storage/engine';
import { ClientAuthenticator } from './client-auth';
import { ClientStore } from './clients';
import { GrantStore } from './grants';
import { DEFAULT_KEY_POLICY, TokenSigner, type KeyPolicy, type SigningKeys } from './keys';
import { KeyFileSigner } from './key-file';
import { TokenIssuer } from './tokens';
import { UserStore } from './users';
import { LoginThrottle } from './login-throttle';

export interface AuthorizationServices {
  system: SystemStore;
  clients: ClientStore;
  users: UserStore;
  grants: GrantStore;
  signer: SigningKeys;
  issuer: TokenIssuer;
  clientAuth: ClientAuthenticator;
  logins: LoginThrottle;
  now: () => number;
}

/** The signing keys of every process over one database: from the key file when one is named
 * (NIMBUS_AUTH_KEY_FILE), else generated and rotated in the database. */
export function signingKeys(system: SystemStore, options: { keyFile?: string; now?: () => number; keys?: KeyPolicy } = {}): SigningKeys {
  if (options.keyFile) return new KeyFileSigner(options.keyFile, options.now);
  return new TokenSigner(system, options.keys ?? DEFAULT_KEY_POLICY, options.now);
}

export function authorizationServices(system: SystemStore, options: { now?: () => number; keys?: KeyPolicy; signer?: SigningKeys } = {}): AuthorizationServices {
  const now = options.now ?? Date.now;
  const clients = new ClientStore(system);
  const grants = new GrantStore(system, now);
  const signer = options.signer ?? signingKeys(system, { now, keys: options.keys });
  return {
    system,
    clients,
    users: new UserStore(system),
    grants,
    signer,
    issuer: new TokenIssuer(signer, grants, now),
    clientAuth: new ClientAuthenticator(clients, grants, now),
    logins: new LoginThrottle(system, now),
    now,
  };
}
