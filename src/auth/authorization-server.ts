// The authorization server's services in one place (stores, signer, token issuer, client
// authentication), built once per process over the SystemStore; the HTTP routes (rest/oauth-*)
// and the tests take them from here.
import type { SystemStore } from '../storage/engine';
import { ClientAuthenticator } from './client-auth';
import { ClientStore } from './clients';
import { GrantStore } from './grants';
import { DEFAULT_KEY_POLICY, TokenSigner, type KeyPolicy } from './keys';
import { TokenIssuer } from './tokens';
import { UserStore } from './users';
import { LoginThrottle } from './login-throttle';

export interface AuthorizationServices {
  system: SystemStore;
  clients: ClientStore;
  users: UserStore;
  grants: GrantStore;
  signer: TokenSigner;
  issuer: TokenIssuer;
  clientAuth: ClientAuthenticator;
  logins: LoginThrottle;
  now: () => number;
}

export function authorizationServices(system: SystemStore, options: { now?: () => number; keys?: KeyPolicy } = {}): AuthorizationServices {
  const now = options.now ?? Date.now;
  const clients = new ClientStore(system);
  const grants = new GrantStore(system, now);
  const signer = new TokenSigner(system, options.keys ?? DEFAULT_KEY_POLICY, now);
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
