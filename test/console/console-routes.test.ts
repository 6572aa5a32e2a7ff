// The console's server side on each engine: the static pages and their headers, features.json,
// the demo data of `serve --demo`, and the built-in SMART client `nimbus-console` (its redirect
// URI follows the FHIR base the request came in on; anything else is refused).
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import pino from 'pino';
import supertest from 'supertest';
import { loadDemoData, takeDemoFlag, DEMO_PATIENTS } from '../../src/cli/demo';
import { ConfigError } from '../../src/config';
import { CONSOLE_CLIENT_ID, consoleRedirectUri } from '../../src/auth/clients';
import { consoleDirectory, consoleRoutes } from '../../src/rest/console-routes';
import { errorMiddleware } from '../../src/rest/error-middleware';
import { describeEachEngine } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';
import { startSmartServer, type SmartServer } from '../support/smart-server';

const BUILT = fs.existsSync(path.join(consoleDirectory(), 'index.html'));

test('the console bundle is built by npm run build (dist/console)', () => {
  expect(BUILT).toBe(true);
  const assets = fs.readdirSync(path.join(consoleDirectory(), 'assets'));
  expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
  // Everything is bundled: no reference to another origin in the page or the scripts.
  for (const file of ['index.html', ...assets.map((a) => `assets/${a}`)]) {
    const text = fs.readFileSync(path.join(consoleDirectory(), file), 'utf8');
    expect({ file, external: /(?:src|href)=["']https?:\/\//.test(text) || /@import\s+url\(["']?https?:/.test(text) }).toEqual({ file, external: false });
  }
});

test('an unbuilt console answers 404 with an OperationOutcome saying how to build it', async () => {
  const app = express();
  app.use(consoleRoutes({ auth: 'off' }, '0', '/nonexistent-console-dir'));
  app.use(errorMiddleware(pino({ level: 'silent' }), 1024));
  const res = await supertest(app).get('/console/');
  expect(res.status).toBe(404);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toContain('npm run build');
});

describe('serve --demo flag', () => {
  it('is split off the other arguments, with an optional patient count', () => {
    expect(takeDemoFlag(['--port', '9', '--demo'])).toEqual({ demo: DEMO_PATIENTS, rest: ['--port', '9'] });
    expect(takeDemoFlag(['--demo=7'])).toEqual({ demo: 7, rest: [] });
    expect(takeDemoFlag(['--port', '9'])).toEqual({ demo: undefined, rest: ['--port', '9'] });
    expect(() => takeDemoFlag(['--demo=lots'])).toThrow(ConfigError);
    expect(() => takeDemoFlag(['--demo=0'])).toThrow(ConfigError);
  });
});

describeEachEngine('web console routes and demo data', (factory) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
  });
  afterAll(async () => t?.close());

  it('redirects / and /console to the console page, served with a strict CSP', async () => {
    expect((await t.http.get('/')).headers.location).toBe('console/');
    const bare = await t.http.get('/console?x=1');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/console/?x=1');
    const page = await t.http.get('/console/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.text)![1];
    const asset = await t.http.get(`/console/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await t.http.get('/console/assets/missing.js')).status).toBe(404);
  });

  it('describes the server to the console in features.json', async () => {
    const res = await t.http.get('/console/features.json');
    expect(res.status).toBe(200);
    // The server mounts CDS Hooks and the docs page: the console shows their parts (and would hide
    // them if a route answered 404).
    expect(res.body).toEqual({ auth: 'off', cdsHooks: true, docs: true, version: expect.any(String) });
  });

  // The full demo load is ~2,200 resources for even one patient (the shared free-slot grid), which
  // FerretDB writes at a few resources a second on a loaded CI machine (measured: 100 per 30-170 s),
  // so on MongoDB only the guard runs; the loader itself is the import path's BulkLoader, which the
  // import suites run on both engines.
  if (factory.name === 'sqlite') {
    it('loads the demo data into an empty store, with free slots from today, and leaves a filled store alone', async () => {
      const lines: string[] = [];
      const totals = await loadDemoData(t.server, 3, (l) => lines.push(l));
      expect(totals).toBeDefined();
      expect(totals!.failed).toBe(0);
      expect(totals!.loaded).toBeGreaterThan(300);
      expect(lines.at(-1)).toMatch(/^demo: \d+ resources loaded/);
      const patients = await t.http.get('/fhir/Patient?_summary=count');
      expect(patients.body.total).toBeGreaterThanOrEqual(3);
      const slots = await t.http.get('/fhir/Appointment/$find?_count=1');
      expect(slots.status).toBe(200);
      expect(slots.body.entry.length).toBe(1);
      expect(Date.parse(slots.body.entry[0].resource.start)).toBeGreaterThan(Date.now());
      expect(await loadDemoData(t.server, 3, (l) => lines.push(l))).toBeUndefined();
      expect(lines.at(-1)).toContain('already has patients');
      expect((await t.http.get('/fhir/Patient?_summary=count')).body.total).toBe(patients.body.total);
    });
  } else {
    it('leaves a store that has patients alone (the full demo load runs on SQLite only: too slow on FerretDB)', async () => {
      console.log(`[engine ${factory.name}] demo load itself not run here: ~2,200 resources take minutes on FerretDB; the guard is tested`);
      expect((await t.http.put('/fhir/Patient/demo-guard').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'demo-guard' })).status).toBe(201);
      const lines: string[] = [];
      expect(await loadDemoData(t.server, 3, (l) => lines.push(l))).toBeUndefined();
      expect(lines).toEqual(['demo: the store already has patients; no demo data loaded']);
      expect((await t.http.get('/fhir/Patient?_summary=count')).body.total).toBe(1);
    });
  }
});

describeEachEngine('built-in SMART client of the console', (factory) => {
  let s: SmartServer;
  beforeAll(async () => {
    s = await startSmartServer(factory);
  });
  afterAll(async () => s?.close());

  const authorize = (redirectUri: string) =>
    fetch(
      `${s.oauth}/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: CONSOLE_CLIENT_ID,
        redirect_uri: redirectUri,
        scope: 'openid fhirUser user/*.rs',
        state: 'state-1',
        aud: s.base,
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );

  it('accepts the console page next to the FHIR base as its redirect URI', async () => {
    expect(consoleRedirectUri(s.base)).toBe(`${new URL(s.base).origin}/console/`);
    const res = await authorize(consoleRedirectUri(s.base));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('name="password"');
  });

  it('refuses any other redirect URI', async () => {
    for (const uri of ['http://127.0.0.1:9/console/', `${new URL(s.base).origin}/console/evil`, `${new URL(s.base).origin}/console`]) {
      const res = await authorize(uri);
      expect({ uri, status: res.status }).toEqual({ uri, status: 400 });
      expect(await res.text()).toContain('redirect_uri is not one registered');
    }
  });

  it('is not a stored client, and a stored client with its id takes its place', async () => {
    expect((await s.auth.clients.list()).some((c) => c.clientId === CONSOLE_CLIENT_ID)).toBe(false);
    expect((await s.auth.clients.get(CONSOLE_CLIENT_ID))?.auth.method).toBe('none');
    await s.auth.clients.add({ clientId: CONSOLE_CLIENT_ID, name: 'My console', redirectUris: ['https://console.example.org/'], scope: 'openid user/*.rs', auth: { method: 'none' }, createdAt: new Date().toISOString() });
    expect((await s.auth.clients.get(CONSOLE_CLIENT_ID))?.name).toBe('My console');
    expect((await authorize(consoleRedirectUri(s.base))).status).toBe(400);
    await s.auth.clients.remove(CONSOLE_CLIENT_ID);
  });
});
