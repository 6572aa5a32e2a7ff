// `nimbus-fhir auth token`: an access token signed by the server's current key for a registered
// client, printed alone on stdout (for scripts: `TOKEN=$(nimbus-fhir auth token …)`). It reads the
// data directory/database, so it is an operator's tool, not an API.
// `nimbus-fhir auth launch`: an EHR launch context for the `launch` parameter of /authorize.
import { ClientStore } from '../auth/clients';
import { GrantStore, type Grant } from '../auth/grants';
import { DEFAULT_KEY_POLICY } from '../auth/keys';
import { signingKeys } from '../auth/authorization-server';
import { splitScopes, uncoveredScopes } from '../auth/scopes';
import { TokenIssuer } from '../auth/tokens';
import { UserStore } from '../auth/users';
import { ConfigError, loadConfig, parseDuration } from '../config';
import { one, required, takeFlags } from './args';
import type { Command } from './commands';
import { configuredBaseUrl, openSystemStore } from './system-store';

const USAGE =
  'nimbus-fhir auth token --client ID --scope "..." [--patient ID] [--user USERNAME] [--ttl 1h]\n' +
  '       nimbus-fhir auth launch [--patient ID] [--encounter ID] [--user USERNAME]   (prints a launch id for EHR launch)';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export const authCommand: Command = {
  summary: 'operator tokens and EHR launch contexts (token|launch)',
  async run(args) {
    const [action, ...rest] = args;
    const flags = takeFlags(rest, { values: ['client', 'scope', 'patient', 'encounter', 'user', 'ttl'] });
    const config = loadConfig(process.env, flags.rest);
    if (action !== 'token' && action !== 'launch') throw new ConfigError(`usage: ${USAGE}`);
    const patient = one(flags, 'patient');
    const encounter = one(flags, 'encounter');
    for (const [name, v] of [['patient', patient], ['encounter', encounter]] as const) {
      if (v !== undefined && !ID.test(v)) throw new ConfigError(`--${name} must be a resource id, got '${v}'`);
    }
    // Tokens live no longer than a retired key stays published (keys.ts).
    const ttlSeconds = Math.round(parseDuration('--ttl', one(flags, 'ttl') ?? '1h', 60_000, DEFAULT_KEY_POLICY.overlapMs) / 1000);
    const store = await openSystemStore(config);
    try {
      const grants = new GrantStore(store.system);
      const username = one(flags, 'user');
      const user = username === undefined ? undefined : await new UserStore(store.system).get(username);
      if (username !== undefined && !user) throw new ConfigError(`no user '${username}' (see nimbus-fhir users list)`);
      if (action === 'launch') {
        process.stdout.write(`${await grants.createLaunch({ patient, encounter, fhirUser: user?.fhirUser })}\n`);
        return 0;
      }
      const clientId = required(flags, 'client', USAGE);
      const client = await new ClientStore(store.system).get(clientId);
      if (!client) throw new ConfigError(`no client '${clientId}' (see nimbus-fhir clients list)`);
      const scope = splitScopes(required(flags, 'scope', USAGE));
      const outside = uncoveredScopes(scope, client.scope);
      if (outside.length) throw new ConfigError(`client ${clientId} is not registered for ${outside.join(' ')} (its scopes: ${client.scope})`);
      const grant: Grant = {
        clientId,
        scope,
        sub: user?.username ?? clientId,
        aud: configuredBaseUrl(config),
        ...(user ? { fhirUser: user.fhirUser } : {}),
        ...(patient ? { patient } : user?.role === 'patient' ? { patient: user.fhirUser.slice('Patient/'.length) } : {}),
      };
      const { token } = await new TokenIssuer(signingKeys(store.system, { keyFile: config.authKeyFile || undefined }), grants).accessToken(grant, ttlSeconds);
      process.stdout.write(`${token}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
