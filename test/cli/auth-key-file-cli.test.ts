// NIMBUS_AUTH_KEY_FILE across processes, as an operator runs them: a `smart` server process and the
// CLI's `auth token`, given the same key file, agree on the key — the CLI's token is honoured by the
// server — while a CLI given another file signs tokens the server refuses. Rotating the file
// (new key first, the old one kept after it) moves the CLI to the new key without restarting the
// server, and tokens of both keys are honoured. Real processes (`node dist/src/main.js`) on each engine.
import { spawn } from 'node:child_process';
import crypto, { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { tempDir } from '../support/engines';
import { MAIN, startServerProcess, waitForExit, type ServerProcess } from '../support/process';

jest.setTimeout(180_000);

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, NIMBUS_LOG_LEVEL: 'silent', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end('');
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const pemKey = () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

const engines: { name: string; env: () => Record<string, string>; skip?: string }[] = [
  { name: 'sqlite', env: () => ({ NIMBUS_DATA_DIR: tempDir('nimbus-keyfile-cli-') }) },
  {
    name: 'mongodb',
    skip: process.env.MONGODB_URI ? undefined : 'MONGODB_URI is not set',
    env: () => ({ NIMBUS_ENGINE: 'mongodb', MONGODB_URI: process.env.MONGODB_URI!, NIMBUS_MONGODB_DATABASE: `nimbus_keyfile_${randomBytes(4).toString('hex')}` }),
  },
];

for (const engine of engines) {
  if (engine.skip) {
    // eslint-disable-next-line no-console
    console.log(`[engine ${engine.name}] key file across processes: SKIPPED — ${engine.skip}`);
    describe.skip(`key file across processes [${engine.name}] (skipped: ${engine.skip})`, () => it('is skipped', () => undefined));
    continue;
  }
  describe(`key file across processes [${engine.name}]`, () => {
    let env: Record<string, string>;
    let server: ServerProcess;
    let base: string;
    let keyFile: string;
    beforeAll(async () => {
      const port = await freePort();
      keyFile = path.join(tempDir('nimbus-keys-'), 'signing-keys.pem');
      fs.writeFileSync(keyFile, pemKey(), { mode: 0o600 });
      env = { ...engine.env(), NIMBUS_AUTH: 'smart', HOST: '127.0.0.1', PORT: String(port), NIMBUS_AUTH_KEY_FILE: keyFile };
      server = await startServerProcess(env);
      base = `http://127.0.0.1:${port}/fhir`;
    });
    afterAll(async () => {
      if (!server) return;
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    });

    const read = (token: string) => fetch(`${base}/Patient?_count=1`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    const token = async (extraEnv: Record<string, string> = {}) => {
      const out = await cli(['auth', 'token', '--client', 'svc', '--scope', 'system/*.rs'], { ...env, ...extraEnv });
      expect([out.code, out.stderr]).toEqual([0, '']);
      return out.stdout.trim();
    };

    it('the CLI and the server sign and verify with the shared file; another file is refused; a rotation needs no restart', async () => {
      const { publicKey } = await generateKeyPair('ES384');
      const jwks = path.join(tempDir('nimbus-client-'), 'jwks.json');
      fs.writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'c1' }] }));
      expect((await cli(['clients', 'add', '--id', 'svc', '--name', 'Service', '--jwks', jwks, '--scope', 'system/*.rs'], env)).code).toBe(0);

      const first = await token();
      expect(await read(first)).toBe(200);
      const published = (await (await fetch(`${base.replace(/\/fhir$/, '')}/oauth/jwks`)).json()) as { keys: Array<{ kid: string; d?: string }> };
      expect(published.keys.map((k) => k.kid)).toEqual([decodeProtectedHeader(first).kid]);
      expect(published.keys.every((k) => k.d === undefined)).toBe(true);

      // A process given another file signs with a key the server does not know.
      const other = path.join(tempDir('nimbus-keys-'), 'other.pem');
      fs.writeFileSync(other, pemKey());
      expect(await read(await token({ NIMBUS_AUTH_KEY_FILE: other }))).toBe(401);

      // Rotation: the new key first, the previous one kept; written atomically.
      fs.writeFileSync(`${keyFile}.new`, `${pemKey()}\n${fs.readFileSync(keyFile, 'utf8')}`);
      fs.renameSync(`${keyFile}.new`, keyFile);
      const second = await token();
      expect(decodeProtectedHeader(second).kid).not.toBe(decodeProtectedHeader(first).kid);
      // The server follows the file within its re-check interval (1 s) plus its key reload (5 s).
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = await read(second);
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(status).toBe(200);
      expect(await read(first)).toBe(200);
    });
  });
}
