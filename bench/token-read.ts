// Read by id with an access token against the same read anonymously (issue 11: ≥ 80 %). Both are
// measured back to back on the same loaded store, each in its own server process (auth is a
// start-up setting): first with auth off, then in external mode against a JWKS this process serves
// on 127.0.0.1 with a key it generates (the verifier and its caches are the same in smart mode;
// only the key source differs). The token server runs with the audit trail off so the figure is
// the token's cost; a second row shows the read with the audit trail on, as deployed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { readPaths } from './crud';
import type { EngineSetup } from './engines';
import type { Request } from './load';
import { naRow, type Row } from './rows';
import { startServer } from './server-process';
import { cycle, FHIR_JSON, load, loadRow, type WorkloadContext } from './workload';

const CONNECTIONS = 32;
const ISSUER = 'https://issuer.bench.invalid';

export async function tokenReadRows(setup: EngineSetup, store: string, ctx: Omit<WorkloadContext, 'baseUrl'>): Promise<Row[]> {
  const { privateKey, publicKey } = await generateKeyPair('ES384');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384', use: 'sig' }] });
  const jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
  try {
    const anonymous = await measure(setup.env(store), undefined, 'read.anonymous.32', 'read by id, anonymous, back to back (32 conns)');
    const rows: Row[] = [anonymous];
    // The audience is the server's own base URL, known only once it listens: a fixed public URL
    // (NIMBUS_BASE_URL) is what a deployment sets anyway.
    const base = 'http://127.0.0.1/fhir';
    const iat = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: ISSUER, aud: base, sub: 'bench', client_id: 'bench', scope: 'user/*.read', fhirUser: 'Practitioner/bench', iat, exp: iat + 3600 })
      .setProtectedHeader({ alg: 'ES384', kid: 'bench' })
      .sign(privateKey);
    const auth = { NIMBUS_AUTH: 'external', NIMBUS_BASE_URL: base, NIMBUS_AUTH_ISSUER: ISSUER, NIMBUS_AUTH_JWKS_URL: jwksUrl };
    const withToken = await measure({ ...setup.env(store), ...auth, NIMBUS_AUDIT: 'false' }, token, 'read.token', 'read by id with a bearer token, user/*.read (32 conns)');
    rows.push(withToken);
    if (withToken.rate !== undefined && anonymous.rate !== undefined) {
      rows.push({ id: 'read.token.share', label: 'read by id with a token as % of anonymous', rate: (100 * withToken.rate) / anonymous.rate, unit: '%' });
    }
    if (ctx.wanted('read.token.audited')) {
      rows.push(await measure({ ...setup.env(store), ...auth, NIMBUS_AUDIT: 'true' }, token, 'read.token.audited', 'read by id with a token, audit trail on (32 conns)'));
    }
    return rows;
  } finally {
    await new Promise((resolve) => jwksServer.close(resolve));
  }

  async function measure(env: Record<string, string>, bearer: string | undefined, id: string, label: string): Promise<Row> {
    const server = await startServer({ env });
    try {
      const c: WorkloadContext = { ...ctx, baseUrl: server.baseUrl };
      const paths = readPaths(c);
      if (!paths.length) return naRow(id, label, 'no Patient ids were loaded');
      const headers: Record<string, string> = { accept: FHIR_JSON, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) };
      const next = cycle(paths);
      const requests: Request[] = [{ method: 'GET', headers, setupRequest: (req) => ({ ...req, path: next() }) }];
      await load(c, { connections: CONNECTIONS, requests, durationS: Math.min(1, ctx.durationS / 4) });
      return loadRow(id, label, await load(c, { connections: CONNECTIONS, requests }));
    } finally {
      await server.stop();
    }
  }
}
