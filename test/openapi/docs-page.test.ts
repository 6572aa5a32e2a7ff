// GET /docs/: the Swagger UI page, served from the bundled swagger-ui-dist package (no CDN), its
// initializer pointing at this server's openapi.json; only the page's own files are served.
import { sqliteFactory } from '../support/engines';
import { makeTestServer, type TestServer } from '../support/server';

describe('/docs', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await sqliteFactory.make(), env: { NIMBUS_AUTH: 'smart' } });
  });
  afterAll(async () => t?.close());

  it('redirects /docs to /docs/ and serves a page that loads only local files', async () => {
    const redirect = await t.http.get('/docs');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/docs/');
    const page = await t.http.get('/docs/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(expect.arrayContaining(['swagger-ui.css', 'swagger-ui-bundle.js', 'docs.js']));
    for (const s of sources) {
      expect(s).not.toMatch(/^(https?:)?\/\//); // nothing from another host
      const res = await t.http.get(`/docs/${s}`);
      expect([s, res.status]).toEqual([s, 200]);
    }
    expect((await t.http.get('/docs/swagger-ui-bundle.js')).headers['content-type']).toMatch(/javascript/);
  });

  it('points Swagger UI at ../fhir/openapi.json, which is public even with auth on', async () => {
    const init = await t.http.get('/docs/docs.js');
    expect(init.text).toContain("'../fhir/openapi.json'");
    expect(init.text).toContain('validatorUrl: null');
    expect((await t.http.get('/fhir/openapi.json')).status).toBe(200);
  });

  it('serves nothing else of the package', async () => {
    for (const f of ['package.json', 'index.html', 'swagger-initializer.js', '..%2Fpackage.json', 'README.md']) {
      expect([f, (await t.http.get(`/docs/${f}`)).status]).toEqual([f, f === 'index.html' ? 200 : 404]);
    }
    // index.html is this server's own page, not the package's petstore demo.
    expect((await t.http.get('/docs/index.html')).text).not.toContain('petstore');
  });
});
