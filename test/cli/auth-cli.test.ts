// The operator's CLI for `smart` mode (`clients`, `users`, `auth token`, `auth launch`), run as real
// processes beside a running server (`node dist/src/main.js`, built by the pretest step): on SQLite
// the server holds the data directory's lock and the CLI writes beside it; on MongoDB both are
// ordinary clients of one database. The server sees what the CLI registers at once, and the
// token the CLI prints verifies against the server's JWKS.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { tempDir } from '../support/engines';
import { MAIN, startServerProcess, waitForExit, type ServerProcess } from '../support/process';
import { Browser, pkcePair } from '../support/smart';

// About fifteen CLI processes, each loading the server's code: over a minute on a busy 2-core machine.
jest.setTimeout(180_000);

/** A free loopback port, so the CLI and the server agree on the base URL without configuring it. */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function cli(args: string[], env: Record<string, string>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, NIMBUS_LOG_LEVEL: 'silent', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input ?? '');
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const engines: { name: string; env: () => Record<string, string>; skip?: string }[] = [
  { name: 'sqlite', env: () => ({ NIMBUS_DATA_DIR: tempDir('nimbus-auth-cli-') }) },
  {
    name: 'mongodb',
    skip: process.env.MONGODB_URI ? undefined : 'MONGODB_URI is not set',
    env: () => ({ NIMBUS_ENGINE: 'mongodb', MONGODB_URI: process.env.MONGODB_URI!, NIMBUS_MONGODB_DATABASE: `nimbus_cli_${randomBytes(4).toString('hex')}` }),
  },
];

for (const engine of engines) {
  if (engine.skip) {
    // eslint-disable-next-line no-console
    console.log(`[engine ${engine.name}] auth CLI: SKIPPED — ${engine.skip}`);
    describe.skip(`auth CLI [${engine.name}] (skipped: ${engine.skip})`, () => it('is skipped', () => undefined));
    continue;
  }
  describe(`auth CLI beside a running server [${engine.name}]`, () => {
    let env: Record<string, string>;
    let server: ServerProcess;
    let listen: string;
    let BASE: string;
    beforeAll(async () => {
      const port = await freePort();
      env = { ...engine.env(), NIMBUS_AUTH: 'smart', HOST: '127.0.0.1', PORT: String(port) };
      server = await startServerProcess(env);
      listen = `http://127.0.0.1:${port}`;
      BASE = `${listen}/fhir`;
    });
    afterAll(async () => {
      if (!server) return;
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    });

    it('registers apps and users, prints a token the server verifies, and makes launch contexts', async () => {
      expect(server.banner).toContain(BASE);
      const add = await cli(['clients', 'add', '--id', 'cli-app', '--name', 'CLI app', '--redirect-uri', 'http://127.0.0.1:9/cb', '--scope', 'openid fhirUser launch launch/patient patient/*.rs user/*.rs'], env);
      expect(add).toMatchObject({ code: 0, stdout: 'client cli-app registered\n' });
      const secret = await cli(['clients', 'add', '--id', 'cli-web', '--name', 'Web', '--redirect-uri', 'https://app.example/cb', '--secret'], env);
      expect(secret.stdout).toMatch(/^client cli-web registered; its secret \(shown once\): [A-Za-z0-9_-]{43}\n$/);
      const { publicKey } = await generateKeyPair('ES384');
      const jwksFile = path.join(tempDir('nimbus-jwks-'), 'jwks.json');
      fs.writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }));
      expect((await cli(['clients', 'add', '--id', 'cli-svc', '--name', 'Service', '--jwks', jwksFile, '--scope', 'system/*.rs'], env)).code).toBe(0);
      expect((await cli(['clients', 'add', '--id', 'cli-app', '--name', 'again', '--public', '--redirect-uri', 'http://127.0.0.1:9/cb'], env)).code).toBe(1);
      const bad = await cli(['clients', 'add', '--id', 'x', '--name', 'x', '--public', '--secret'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('choose one of');
      const list = await cli(['clients', 'list'], env);
      expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 3))).toEqual([
        ['cli-app', 'CLI app', 'none'],
        ['cli-svc', 'Service', 'private_key_jwt'],
        ['cli-web', 'Web', 'client_secret_basic'],
      ]);
      expect((await cli(['clients', 'remove', '--id', 'cli-web'], env)).code).toBe(0);
      expect((await cli(['clients', 'remove', '--id', 'cli-web'], env)).code).toBe(1);

      expect(await cli(['users', 'add', '--username', 'drcli', '--fhir-user', 'Practitioner/77', '--role', 'practitioner'], env, 'a long enough password\n')).toMatchObject({ code: 0 });
      const short = await cli(['users', 'add', '--username', 'u2', '--fhir-user', 'Practitioner/78', '--role', 'practitioner'], env, 'short\n');
      expect(short.code).toBe(2);
      expect((await cli(['users', 'list'], env)).stdout).toBe('drcli\tpractitioner\tPractitioner/77\n');

      const token = await cli(['auth', 'token', '--client', 'cli-app', '--scope', 'user/*.rs openid', '--user', 'drcli', '--ttl', '2h'], env);
      expect(token.code).toBe(0);
      expect(token.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const { payload } = await jwtVerify(token.stdout.trim(), createRemoteJWKSet(new URL(`${listen}/oauth/jwks`)), { issuer: BASE, audience: BASE, algorithms: ['RS384'] });
      expect(payload).toMatchObject({ client_id: 'cli-app', sub: 'drcli', scope: 'user/*.rs openid', fhirUser: `${BASE}/Practitioner/77` });
      expect(payload.exp! - payload.iat!).toBe(7200);
      const refused = await cli(['auth', 'token', '--client', 'cli-app', '--scope', 'system/*.rs'], env);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');

      // The running server sees the CLI's client, user and launch context at once.
      const launch = await cli(['auth', 'launch', '--patient', 'p1', '--encounter', 'e1'], env);
      expect(launch.stdout).toMatch(/^[A-Za-z0-9_-]{24}\n$/);
      const url = new URL(`${listen}/oauth/authorize`);
      const pkce = pkcePair();
      for (const [k, v] of Object.entries({
        response_type: 'code',
        client_id: 'cli-app',
        redirect_uri: 'http://127.0.0.1:9/cb',
        scope: 'launch patient/*.rs',
        state: 's',
        aud: BASE,
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
        launch: launch.stdout.trim(),
      })) {
        url.searchParams.set(k, v);
      }
      const back = await new Browser().authorize(url.toString(), { username: 'drcli', password: 'a long enough password' });
      expect(back.searchParams.get('code')).toBeTruthy();
    });
  });
}
