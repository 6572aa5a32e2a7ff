// `nimbus-fhir clients add|list|remove`: registers the SMART apps (OAuth clients) of `smart` mode.
import fs from 'node:fs';
import type { JWK } from 'jose';
import { ClientError, ClientStore, newClientSecret, type ClientAuth, type OAuthClient } from '../auth/clients';
import { ConfigError, loadConfig } from '../config';
import { one, required, takeFlags } from './args';
import type { Command } from './commands';
import { openSystemStore } from './system-store';

const USAGE =
  'nimbus-fhir clients add --id ID --name NAME [--redirect-uri URL]... [--scope "..."] [--public | --secret | --jwks-uri URL | --jwks FILE]\n' +
  '       nimbus-fhir clients list\n' +
  '       nimbus-fhir clients remove --id ID';

/** What a new app may ask for when --scope is not given: a patient-facing app's usual set. */
const DEFAULT_SCOPE = 'openid fhirUser launch launch/patient offline_access online_access patient/*.rs';

export const clientsCommand: Command = {
  summary: 'register, list or remove SMART apps (add|list|remove)',
  async run(args) {
    const [action, ...rest] = args;
    const flags = takeFlags(rest, { values: ['id', 'name', 'scope', 'jwks-uri', 'jwks'], repeatable: ['redirect-uri'], switches: ['public', 'secret'] });
    const config = loadConfig(process.env, flags.rest);
    if (action !== 'add' && action !== 'list' && action !== 'remove') throw new ConfigError(`usage: ${USAGE}`);
    const store = await openSystemStore(config);
    try {
      const clients = new ClientStore(store.system);
      if (action === 'list') {
        for (const c of await clients.list()) {
          process.stdout.write(`${c.clientId}\t${c.name}\t${c.auth.method}\t${c.scope}\t${c.redirectUris.join(' ')}\n`);
        }
        return 0;
      }
      const clientId = required(flags, 'id', USAGE);
      if (action === 'remove') {
        if (await clients.remove(clientId)) return 0;
        process.stderr.write(`nimbus-fhir clients: no client '${clientId}'\n`);
        return 1;
      }
      const kinds = ['public', 'secret'].filter((s) => flags.switches.has(s)).concat(['jwks-uri', 'jwks'].filter((f) => flags.values.has(f)));
      if (kinds.length > 1) throw new ConfigError(`choose one of --public, --secret, --jwks-uri, --jwks (got ${kinds.map((k) => `--${k}`).join(', ')})`);
      let secret: string | undefined;
      let auth: ClientAuth = { method: 'none' };
      if (kinds[0] === 'secret') {
        const made = newClientSecret();
        secret = made.secret;
        auth = { method: 'client_secret_basic', secretHash: made.secretHash };
      } else if (kinds[0] === 'jwks-uri') auth = { method: 'private_key_jwt', jwksUri: one(flags, 'jwks-uri') };
      else if (kinds[0] === 'jwks') auth = { method: 'private_key_jwt', jwks: readJwks(one(flags, 'jwks')!) };
      const client: OAuthClient = {
        clientId,
        name: required(flags, 'name', USAGE),
        redirectUris: flags.values.get('redirect-uri') ?? [],
        scope: one(flags, 'scope') ?? (auth.method === 'private_key_jwt' ? 'system/*.rs' : DEFAULT_SCOPE),
        auth,
        createdAt: new Date().toISOString(),
      };
      if (auth.method === 'private_key_jwt' && !client.scope.split(/\s+/).some((s) => s.startsWith('system/')) && client.redirectUris.length === 0) {
        throw new ConfigError('a backend-services client (--jwks/--jwks-uri without --redirect-uri) needs system/ scopes in --scope');
      }
      try {
        if (!(await clients.add(client))) {
          process.stderr.write(`nimbus-fhir clients: a client '${clientId}' exists already (remove it first)\n`);
          return 1;
        }
      } catch (e) {
        if (e instanceof ClientError) throw new ConfigError(e.message);
        throw e;
      }
      // The secret exists only here: it is stored hashed.
      process.stdout.write(secret ? `client ${clientId} registered; its secret (shown once): ${secret}\n` : `client ${clientId} registered\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

function readJwks(file: string): { keys: JWK[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`--jwks ${file}: ${(e as Error).message}`);
  }
  // A single JWK is accepted too.
  const keys = (parsed as { keys?: unknown }).keys ?? [parsed];
  if (!Array.isArray(keys) || !keys.every((k) => k && typeof k === 'object' && typeof (k as JWK).kty === 'string')) {
    throw new ConfigError(`--jwks ${file} must hold a JWK Set ({"keys": [...]}) or one JWK`);
  }
  return { keys: keys as JWK[] };
}
