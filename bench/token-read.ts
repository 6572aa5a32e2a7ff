// Read by id with an access token against the same read anonymously (issue 11: ≥ 80 %). Both are
// measured back to back on the same loaded store, each in its own server process (auth is a
// start-up setting): first with auth off, then in external mode against a JWKS this process serves
// on 127.0.0.1 with a key it generates (the verifier and its caches are the same in smart mode;
// only the key source differs). The token server runs with the audit trail off so the figure is
// the token's cost; a second row shows the read with the audit trail on, as deployed.
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { readPaths } from './crud';
import type { EngineSetup } from './engines';
import type { Request } from './load';
import { naRow, type Row } from './rows';
import { startServer } from './server-process';
import { cycle, FHIR_JSON, load, loadRow, type WorkloadContext } from './workload';

const CONNECTIONS = 32;
const ROUNDS = 2;

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
const cpuUs = new WeakMap<Row, number>();

/** utime + stime of a process from /proc, in ticks; undefined where /proc is missing. */
function cpuTicks(pid: number | undefined): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function best(a: Row | undefined, b: Row): Row {
  return !a || (b.rate ?? 0) > (a.rate ?? 0) ? b : a;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
const ISSUER = 'https://issuer.bench.invalid';

export async function tokenReadRows(setup: EngineSetup, store: string, ctx: Omit<WorkloadContext, 'baseUrl'>): Promise<Row[]> {
  const { privateKey, publicKey } = await generateKeyPair('ES384');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES384', use: 'sig' }] });
  const jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
  try {
    // The audience is the server's public base URL (NIMBUS_BASE_URL, as a deployment sets it): a
    // port is chosen up front so that the URL and the listening address agree.
    const port = await freePort();
    const base = `http://127.0.0.1:${port}/fhir`;
    const iat = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: ISSUER, aud: base, sub: 'bench', client_id: 'bench', scope: 'user/*.read', fhirUser: 'Practitioner/bench', iat, exp: iat + 3600 })
      .setProtectedHeader({ alg: 'ES384', kid: 'bench' })
      .sign(privateKey);
    const auth = { PORT: String(port), NIMBUS_AUTH: 'external', NIMBUS_BASE_URL: base, NIMBUS_AUTH_ISSUER: ISSUER, NIMBUS_AUTH_JWKS_URL: jwksUrl };
    // Alternating rounds, best of each: on a shared machine a neighbour's burst during one run
    // would otherwise decide the ratio.
    let anonymous: Row | undefined;
    let withToken: Row | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      anonymous = best(anonymous, await measure({ ...setup.env(store), PORT: String(port) }, undefined, 'read.anonymous.32', `read by id, anonymous, best of ${ROUNDS} alternating (32 conns)`));
      withToken = best(withToken, await measure({ ...setup.env(store), ...auth, NIMBUS_AUDIT: 'false' }, token, 'read.token', `read by id with a bearer token, user/*.read, best of ${ROUNDS} (32 conns)`));
    }
    const rows: Row[] = [anonymous!, withToken!];
    if (withToken!.rate !== undefined && anonymous!.rate !== undefined) {
      const a = cpuUs.get(anonymous!);
      const t = cpuUs.get(withToken!);
      // On a busy machine wall-clock rates move with the neighbours; the server's CPU time per
      // request barely does, and its inverse ratio is the throughput ratio of a CPU-bound server.
      const byCpu = a !== undefined && t !== undefined ? `; by server CPU per request: ${((100 * a) / t).toFixed(1)} %` : '';
      rows.push({ id: 'read.token.share', label: 'read by id with a token as % of anonymous', rate: (100 * withToken!.rate) / anonymous!.rate, unit: '%', note: `wall-clock throughput ratio${byCpu}` });
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
      const before = cpuTicks(server.child.pid);
      const result = await load(c, { connections: CONNECTIONS, requests });
      const after = cpuTicks(server.child.pid);
      const row = loadRow(id, label, result);
      if (before !== undefined && after !== undefined && result.requests > 0) {
        cpuUs.set(row, ((after - before) * TICK_US) / result.requests);
        row.note = [row.note, `${cpuUs.get(row)!.toFixed(0)} µs server CPU/request`].filter(Boolean).join('; ');
      }
      return row;
    } finally {
      await server.stop();
    }
  }
}
