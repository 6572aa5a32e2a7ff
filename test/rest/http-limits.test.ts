// The HTTP server's own limits (rest/http-limits.ts) over real sockets on loopback: requests Node's
// parser refuses are answered with an OperationOutcome, limits come from configuration, slow
// clients are cut off while normal requests go on being served, and connections are capped.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { loadConfig } from '../../src/config';
import { createHttpServer } from '../../src/rest/http-limits';
import { makeTestServer, type TestServer } from '../support/server';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends raw bytes and reads the answer until the server closes or `ms` pass. */
function raw(port: number, text: string | Buffer, ms = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${ms} ms: ${data.slice(0, 200)}`));
    }, ms);
    socket.on('error', () => undefined); // the server may close while we still write
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parse(data));
    });
    socket.write(text, () => socket.end());
  });
}

function parse(data: string): RawResponse {
  const [head, ...rest] = data.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest.join('\r\n\r\n') };
}

function expectOutcome(r: RawResponse, status: number, text?: RegExp): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/fhir\+json/);
  const outcome = JSON.parse(r.body);
  expect(outcome.resourceType).toBe('OperationOutcome');
  if (text) expect(outcome.issue[0].diagnostics).toMatch(text);
}

async function listen(t: TestServer, env: Record<string, string> = {}): Promise<{ server: Server; port: number }> {
  const server = createHttpServer(t.server.app, loadConfig(env));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

describe('requests the HTTP parser refuses', () => {
  let t: TestServer;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    t = await makeTestServer();
    ({ server, port } = await listen(t));
  });
  afterAll(async () => {
    await stop(server);
    await t.close();
  });

  it('answers a normal request', async () => {
    const r = await raw(port, 'GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(200);
  });

  it('answers a 1 MB query string with 414 and an OperationOutcome', async () => {
    expectOutcome(await raw(port, `GET /fhir/Patient?name=${'a'.repeat(1_000_000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 414, /POST \[type\]\/_search/);
  });

  it('answers a 100 KB header with 431 and an OperationOutcome', async () => {
    expectOutcome(await raw(port, `GET /fhir/Patient HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`), 431, /16384 bytes/);
  });

  it('answers 3,000 headers with 431 and an OperationOutcome', async () => {
    const headers = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');
    expectOutcome(await raw(port, `GET /fhir/Patient HTTP/1.1\r\nHost: x\r\n${headers}\r\n`), 431);
  });

  it('answers Content-Length with Transfer-Encoding with 400 and an OperationOutcome', async () => {
    const r = await raw(port, 'POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expectOutcome(r, 400, /Transfer-Encoding/);
  });
});

describe('limits from configuration', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer();
  });
  afterAll(() => t.close());

  it('refuses headers beyond NIMBUS_MAX_HEADER_SIZE', async () => {
    const { server, port } = await listen(t, { NIMBUS_MAX_HEADER_SIZE: '2kb' });
    try {
      expectOutcome(await raw(port, `GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(3000)}\r\n\r\n`), 431, /2048 bytes/);
    } finally {
      await stop(server);
    }
  });

  it('refuses more header fields than NIMBUS_MAX_HEADERS instead of dropping the extra ones', async () => {
    const { server, port } = await listen(t, { NIMBUS_MAX_HEADERS: '20', NIMBUS_MAX_HEADER_SIZE: '1mb' });
    try {
      const some = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join('');
      expect((await raw(port, `GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${some(10)}\r\n`)).status).toBe(200);
      expectOutcome(await raw(port, `GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${some(3000)}\r\n`), 431, /header fields/);
    } finally {
      await stop(server);
    }
  });

  it('validates the settings', () => {
    expect(() => loadConfig({ NIMBUS_HEADERS_TIMEOUT: '2m', NIMBUS_RECEIVE_TIMEOUT: '1m' })).toThrow(/must not exceed NIMBUS_RECEIVE_TIMEOUT/);
    expect(() => loadConfig({ NIMBUS_KEEP_ALIVE_TIMEOUT: 'soon' })).toThrow(/duration/);
    expect(loadConfig({ NIMBUS_HEADERS_TIMEOUT: '2.5s' }).headersTimeoutMs).toBe(2500);
  });
});

/** Opens a socket that sends a request's headers one byte at a time, never finishing. */
function trickle(port: number, everyMs: number): { socket: net.Socket; closed: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1');
  const text = `GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(10_000)}`;
  let i = 0;
  let answer = '';
  const timer = setInterval(() => {
    if (socket.writable) socket.write(text[i++ % text.length]);
  }, everyMs);
  socket.on('data', (d) => (answer += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(answer);
    }),
  );
  return { socket, closed };
}

describe('slow clients', () => {
  const LORIS = 300;
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer();
  });
  afterAll(() => t.close());

  it(`serves normal requests while ${LORIS} sockets trickle their headers (default limits)`, async () => {
    const { server, port } = await listen(t);
    const loris = Array.from({ length: LORIS }, () => trickle(port, 200));
    try {
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 5; i++) expect((await raw(port, 'GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
    } finally {
      for (const l of loris) l.socket.destroy();
      await stop(server);
    }
  });

  it('cuts a trickling socket after NIMBUS_HEADERS_TIMEOUT with a 408 OperationOutcome', async () => {
    const { server, port } = await listen(t, { NIMBUS_HEADERS_TIMEOUT: '1s', NIMBUS_RECEIVE_TIMEOUT: '2s' });
    const loris = Array.from({ length: 50 }, () => trickle(port, 100));
    try {
      // Bounded wait: Node's defaults would hold them for 60 s (and look only every 30 s).
      const answers = await Promise.race([Promise.all(loris.map((l) => l.closed)), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('slow sockets were not cut')), 8000))]);
      for (const a of answers) expectOutcome(parse(a), 408, /did not arrive in time/);
    } finally {
      for (const l of loris) l.socket.destroy();
      await stop(server);
    }
  }, 15_000);

  it('caps concurrent connections at NIMBUS_MAX_CONNECTIONS, and serves again once they go', async () => {
    const { server, port } = await listen(t, { NIMBUS_MAX_CONNECTIONS: '20' });
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => undefined);
        await new Promise((r) => s.once('connect', r));
        held.push(s);
      }
      await new Promise((r) => setTimeout(r, 100));
      const refused = await raw(port, 'GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').catch(() => ({ status: 0, headers: {}, body: '' }));
      expect(refused.status).toBe(0); // closed without an answer: the socket was over the cap
      for (const s of held) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      expect((await raw(port, 'GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
      await stop(server);
    }
  });
});
