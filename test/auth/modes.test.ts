// The authorization server exists only in `smart` mode: with auth off there is no discovery
// document, no OAuth endpoint and no rest.security in the CapabilityStatement.
import { makeTestServer } from '../support/server';

describe('auth off', () => {
  it('publishes no SMART configuration and no security', async () => {
    const t = await makeTestServer();
    try {
      expect((await t.http.get('/fhir/.well-known/smart-configuration')).status).toBe(404);
      expect((await t.http.post('/oauth/token').type('form').send({ grant_type: 'client_credentials' })).status).toBe(404);
      const cs = await t.http.get('/fhir/metadata');
      expect(cs.status).toBe(200);
      expect(cs.body.rest[0].security).toBeUndefined();
      expect(t.server.authorization).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
