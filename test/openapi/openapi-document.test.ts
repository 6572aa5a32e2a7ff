// GET /fhir/openapi.json: a valid OpenAPI 3.1 document (checked with a real validator) that says
// what the CapabilityStatement says — every type's interactions, every search parameter with its
// type and modifiers, every operation with the parameters of its OperationDefinition — and whose
// paths the server really answers.
import type { CapabilityStatement, OperationDefinition } from '@medplum/fhirtypes';
import http from 'node:http';
import { SEARCH_MODIFIERS } from '../../src/search/predicates';
import type { SearchParamType } from '../../src/search/registry';
import { describeEachEngine, sqliteFactory } from '../support/engines';
import { validateOpenApi } from '../support/openapi-validator';
import { makeTestServer, type TestServer } from '../support/server';
import { startSmartServer, type SmartServer } from '../support/smart-server';

type Json = Record<string, any>;

const METHOD_OF: Record<string, [string, string]> = {
  read: ['/{T}/{id}', 'get'],
  vread: ['/{T}/{id}/_history/{vid}', 'get'],
  update: ['/{T}/{id}', 'put'],
  patch: ['/{T}/{id}', 'patch'],
  delete: ['/{T}/{id}', 'delete'],
  'history-instance': ['/{T}/{id}/_history', 'get'],
  'history-type': ['/{T}/_history', 'get'],
  create: ['/{T}', 'post'],
  'search-type': ['/{T}', 'get'],
};

function resolve(doc: Json, p: Json): Json {
  if (typeof p.$ref !== 'string') return p;
  const [, , kind, name] = (p.$ref as string).split('/');
  return doc.components[kind][name];
}

describe('GET /fhir/openapi.json (auth off)', () => {
  let t: TestServer;
  let doc: Json;
  let capability: CapabilityStatement;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await sqliteFactory.make() });
    const res = await t.http.get('/fhir/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = JSON.parse(res.text);
    capability = (await t.http.get('/fhir/metadata')).body as CapabilityStatement;
  });
  afterAll(async () => t?.close());

  it('is a valid OpenAPI 3.1 document by the official schema', () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = validateOpenApi(doc);
    expect(result.errors).toBeUndefined();
    expect(result).toMatchObject({ version: '3.1', valid: true });
  });

  it('is checked by a real validator: a broken copy is reported invalid', () => {
    // The same document with a Swagger 2 style body parameter (no longer valid in 3.x) must fail.
    const broken = JSON.parse(JSON.stringify(doc));
    broken.paths['/metadata'].get.parameters.push({ name: 'body', in: 'body', schema: {} });
    expect(validateOpenApi(broken).valid).toBe(false);
  });

  it('describes every interaction of every type the CapabilityStatement lists', () => {
    const resources = capability.rest![0].resource!;
    expect(resources.length).toBeGreaterThan(140);
    for (const r of resources) {
      for (const { code } of r.interaction ?? []) {
        const [template, method] = METHOD_OF[code];
        const path = template.replace('{T}', r.type);
        expect([r.type, code, doc.paths[path]?.[method]?.operationId]).toEqual([r.type, code, expect.any(String)]);
      }
      if (r.conditionalUpdate) expect(doc.paths[`/${r.type}`].put).toBeDefined();
      if (r.conditionalDelete === 'single' || r.conditionalDelete === 'multiple') expect(doc.paths[`/${r.type}`].delete).toBeDefined();
      if (r.conditionalCreate) expect(doc.paths[`/${r.type}`].post.parameters.map((p: Json) => resolve(doc, p).name)).toContain('If-None-Exist');
    }
    const system = capability.rest![0].interaction!.map((i) => i.code);
    expect(system).toEqual(expect.arrayContaining(['batch', 'transaction', 'search-system', 'history-system']));
    expect(doc.paths['/'].post.requestBody.content['application/fhir+json']).toBeDefined();
    expect(doc.paths['/'].get).toBeDefined();
    expect(doc.paths['/_history'].get).toBeDefined();
    expect(doc.paths['/metadata'].get).toBeDefined();
    const compartments = capability.rest![0].compartment ?? [];
    expect(compartments.length).toBeGreaterThan(0);
    for (const c of compartments) {
      const owner = resources.find((r) => r.type.toLowerCase() === c.split('/').pop()!.toLowerCase())!.type;
      expect(doc.paths[`/${owner}/{id}/{type}`]?.get).toBeDefined();
    }
  });

  it('gives every search parameter its FHIR type and the modifiers the server accepts', () => {
    let checked = 0;
    for (const r of capability.rest![0].resource!) {
      const params = doc.paths[`/${r.type}`].get.parameters.map((p: Json) => resolve(doc, p));
      const byName = new Map<string, Json>(params.map((p: Json) => [p.name, p]));
      for (const sp of [...(r.searchParam ?? []), ...(capability.rest![0].searchParam ?? [])]) {
        const p = byName.get(sp.name);
        expect([r.type, sp.name, p?.in, p?.['x-fhir-search-type']]).toEqual([r.type, sp.name, 'query', sp.type]);
        if (sp.name !== '_id') expect(p!['x-fhir-modifiers']).toEqual(SEARCH_MODIFIERS[sp.type as SearchParamType]);
        checked++;
      }
      for (const result of ['_count', '_sort', '_include', '_revinclude', '_summary', '_elements', '_total']) expect(byName.has(result)).toBe(true);
    }
    expect(checked).toBeGreaterThan(2000);
    const birthdate = resolve(doc, { $ref: '#/components/parameters/Patient-birthdate' });
    expect(birthdate.description).toMatch(/date search parameter.*Value prefixes: eq, ne, gt/);
    expect(resolve(doc, { $ref: '#/components/parameters/Patient-name' })['x-fhir-modifiers']).toEqual(['missing', 'exact', 'contains']);
  });

  it('describes every operation with the parameters of its OperationDefinition', async () => {
    const rest = capability.rest![0];
    const entries = [...(rest.operation ?? []).map((o) => ({ o, type: undefined as string | undefined })), ...rest.resource!.flatMap((r) => (r.operation ?? []).map((o) => ({ o, type: r.type })))];
    expect(entries.length).toBeGreaterThan(100);
    const definitions = new Map<string, OperationDefinition>();
    for (const { o, type } of entries) {
      let d = definitions.get(o.definition);
      if (!d) {
        const found = await t.http.get('/fhir/OperationDefinition').query({ url: o.definition });
        d = found.body.entry[0].resource as OperationDefinition;
        definitions.set(o.definition, d);
      }
      // An operation defined for every type is described once at /{type}/$op, the type an enum.
      const generic = ((d.resource ?? []) as string[]).some((r) => r === 'Resource' || r === 'DomainResource');
      const at = generic ? '{type}' : type;
      const paths = type ? [d.type && `/${at}/$${o.name}`, d.instance && `/${at}/{id}/$${o.name}`].filter(Boolean) : [`/$${o.name}`];
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths as string[]) {
        const item = doc.paths[path];
        expect([path, Object.keys(item ?? {})]).toEqual([path, expect.arrayContaining(['post'])]);
        if (generic && type) expect([path, item.post.parameters.find((p: Json) => p.name === 'type')?.schema.enum.includes(type)]).toEqual([path, true]);
        const body = resolve(doc, item.post.requestBody.content['application/fhir+json'].schema);
        const ins = (d.parameter ?? []).filter((p) => p.use === 'in').map((p) => p.name);
        if (ins.length) expect(body.properties.parameter.items.properties.name.enum).toEqual(ins);
        expect(item.post.description).toContain(d.url);
        const result = resolve(doc, item.post.responses['200']);
        for (const out of (d.parameter ?? []).filter((p) => p.use === 'out')) expect(result.description).toContain(`\`${out.name}\``);
        if (item.get) {
          expect(d.affectsState).toBe(false);
          const names = item.get.parameters.map((p: Json) => resolve(doc, p).name);
          // Every in-parameter that can travel in a URL (a primitive, Coding or Reference).
          const inUrl = (d.parameter ?? []).filter((x) => x.use === 'in' && !x.part?.length && (/^[a-z]/.test(x.type ?? '') || x.type === 'Coding' || x.type === 'Reference'));
          for (const p of inUrl) expect(names).toContain(p.name);
        } else expect(d.affectsState || (d.parameter ?? []).some((p) => p.use === 'in' && (p.min ?? 0) > 0 && (p.part?.length || /^[A-Z]/.test(p.type ?? 'X')))).toBe(true);
      }
    }
  });

  it('states the media types and answers refusals with an OperationOutcome', () => {
    const read = doc.paths['/Patient/{id}'].get;
    expect(Object.keys(read.responses['200'].content)).toEqual(['application/fhir+json', 'application/json']);
    expect(read.responses['4XX']).toEqual({ $ref: '#/components/responses/Refused' });
    expect(doc.components.responses.Refused.content['application/fhir+json'].schema).toEqual({ $ref: '#/components/schemas/OperationOutcome' });
    expect(Object.keys(doc.paths['/Patient'].post.requestBody.content)).toContain('application/fhir+json');
    expect(Object.keys(doc.paths['/Patient/{id}'].patch.requestBody.content)).toEqual(['application/json-patch+json', 'application/fhir+json']);
    expect(doc.paths['/Patient'].post.responses['201'].headers.Location).toBeDefined();
    expect(doc.components.securitySchemes).toBeUndefined();
    expect(doc.security).toBeUndefined();
  });

  it('is generated once and also served gzip-compressed', async () => {
    // supertest unzips; the header shows what travelled.
    const res = await t.http.get('/fhir/openapi.json').set('Accept-Encoding', 'gzip');
    expect(res.headers['content-encoding']).toBe('gzip');
    // (supertest listens on a new port per request, so only the server URL differs.)
    expect({ ...JSON.parse(res.text), servers: doc.servers }).toEqual(doc);
  });
});

describe('GET /fhir/openapi.json with SMART authorization on', () => {
  let s: SmartServer;
  beforeAll(async () => {
    s = await startSmartServer(sqliteFactory);
  });
  afterAll(async () => s?.close());

  it('is public and declares the OAuth flows at the URLs SMART discovery gives', async () => {
    expect((await fetch(`${s.base}/Patient`)).status).toBe(401);
    const res = await fetch(`${s.base}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Json;
    const discovery = (await (await fetch(`${s.base}/.well-known/smart-configuration`)).json()) as Json;
    const flows = doc.components.securitySchemes.smart.flows;
    expect(doc.components.securitySchemes.smart.type).toBe('oauth2');
    expect(flows.authorizationCode.authorizationUrl).toBe(discovery.authorization_endpoint);
    expect(flows.authorizationCode.tokenUrl).toBe(discovery.token_endpoint);
    expect(flows.clientCredentials.tokenUrl).toBe(discovery.token_endpoint);
    expect(Object.keys(flows.authorizationCode.scopes)).toEqual(discovery.scopes_supported);
    expect(Object.keys(flows.clientCredentials.scopes).every((k) => k.startsWith('system/'))).toBe(true);
    expect(doc.security).toEqual([{ smart: [] }]);
    expect(doc.paths['/metadata'].get.security).toEqual([]);
    expect(doc.servers).toEqual([{ url: s.base }]);
    expect(validateOpenApi(doc).valid).toBe(true);
  });

  it('gives each base URL its own server and OAuth URLs', async () => {
    const port = new URL(s.base).port;
    // fetch() does not let a caller set Host; node:http does.
    const other = await new Promise<Json>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/fhir/openapi.json', headers: { Host: `localhost:${port}` } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(JSON.parse(text) as Json));
        })
        .on('error', reject);
    });
    expect(other.servers).toEqual([{ url: `http://localhost:${port}/fhir` }]);
    expect(other.components.securitySchemes.smart.flows.authorizationCode.authorizationUrl).toBe(`http://localhost:${port}/oauth/authorize`);
    const first = (await (await fetch(`${s.base}/openapi.json`)).json()) as Json;
    expect(first.components.securitySchemes.smart.flows.authorizationCode.authorizationUrl).toBe(`${s.oauth}/authorize`);
    expect(other.paths).toEqual(first.paths);
  });
});

describe('GET /fhir/openapi.json with external token issuer', () => {
  it('declares Bearer JWT', async () => {
    const t = await makeTestServer({
      engine: await sqliteFactory.make(),
      env: { NIMBUS_AUTH: 'external', NIMBUS_AUTH_ISSUER: 'https://issuer.test', NIMBUS_AUTH_JWKS_URL: 'https://issuer.test/jwks', NIMBUS_BASE_URL: 'http://fhir.test/fhir' },
    });
    try {
      const res = await t.http.get('/fhir/openapi.json');
      expect(res.status).toBe(200);
      expect(res.body.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }) });
      expect(res.body.servers).toEqual([{ url: 'http://fhir.test/fhir' }]);
    } finally {
      await t.close();
    }
  });
});

// Every documented path answers: no documented operation hits "no such route" (404 UNKNOWN_ROUTE)
// or 405, on each engine. Resources are created first so reads and operations have a target.
describeEachEngine('the documented paths are served', (factory) => {
  let t: TestServer;
  let doc: Json;
  beforeAll(async () => {
    t = await makeTestServer({ engine: await factory.make() });
    doc = (await t.http.get('/fhir/openapi.json')).body;
    await t.http.put('/fhir/Patient/p1').set('Content-Type', 'application/fhir+json').send({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Doc' }] });
  });
  afterAll(async () => t?.close());

  it('answers each Patient and system path with something other than an unknown route or 405', async () => {
    const paths = Object.entries(doc.paths as Record<string, Json>).filter(([p]) => p.startsWith('/Patient') || !/^\/[A-Z]/.test(p));
    let tried = 0;
    for (const [template, item] of paths) {
      for (const [method, op] of Object.entries(item as Record<string, Json>)) {
        if (method === 'delete' || (op.summary as string).includes('$expunge') || (op.summary as string).includes('$reindex')) continue;
        // A conditional update on the type needs criteria (without them PUT [type] is no interaction).
        const criteria = method === 'put' && !template.includes('{id}') ? '?_id=nothing-matches' : '';
        const url = `/fhir${template.replace('{id}', 'p1').replace('{vid}', '1').replace('{type}', template.includes('$') ? 'Patient' : 'Observation')}${criteria}`;
        const req = (t.http as any)[method](url).set('Accept', 'application/fhir+json');
        const res = method === 'get' ? await req : method === 'patch' ? await req.set('Content-Type', 'application/json-patch+json').send('[]') : await req.set('Content-Type', 'application/fhir+json').send('{}');
        const text = JSON.stringify(res.body);
        expect([method, url, res.status === 405 || text.includes('No FHIR interaction answers')]).toEqual([method, url, false]);
        expect([method, url, res.status < 500]).toEqual([method, url, true]);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(30);
  });

  it('shows a create example for most types, each of which the server accepts', async () => {
    const examples = Object.entries(doc.paths as Record<string, Json>)
      .filter(([p, item]) => /^\/[A-Z][A-Za-z]+$/.test(p) && item.post?.requestBody.content['application/fhir+json'].example)
      .map(([p, item]) => [p, item.post.requestBody.content['application/fhir+json'].example] as const);
    expect(examples.length).toBeGreaterThan(100);
    for (const [p, example] of examples) {
      expect(example.resourceType).toBe(p.slice(1));
      const res = await t.http.post(`/fhir${p}`).set('Content-Type', 'application/fhir+json').send(example);
      expect([p, res.status]).toEqual([p, 201]);
    }
  });
});
