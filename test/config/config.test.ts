// Settings: environment variables and matching flags, validated with messages that name the setting.
import path from 'node:path';
import { auditEnabled, checkListenSafety, ConfigError, loadConfig, parseBytes } from '../../src/config';

describe('configuration', () => {
  it('has working defaults: 127.0.0.1:8080, SQLite under ./data', () => {
    const c = loadConfig({}, [], '/srv/app');
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, engine: 'sqlite', dataDir: path.resolve('/srv/app/data'), maxPageSize: 1000 });
  });

  it('reads environment variables, and flags override them', () => {
    const c = loadConfig({ HOST: '0.0.0.0', PORT: '9000', NIMBUS_DATA_DIR: '/tmp/a' }, ['--port', '9100', '--data-dir=/tmp/b']);
    expect(c).toMatchObject({ host: '0.0.0.0', port: 9100, dataDir: '/tmp/b' });
  });

  it.each([
    [{ PORT: '70000' }, [], /PORT must be between 0 and 65535/],
    [{ PORT: '80a' }, [], /PORT must be a whole number/],
    [{ NIMBUS_ENGINE: 'oracle' }, [], /NIMBUS_ENGINE must be sqlite or mongodb/],
    [{ NIMBUS_ENGINE: 'mongodb' }, [], /needs MONGODB_URI/],
    [{ MONGODB_URI: 'http://x' }, [], /MONGODB_URI must start with mongodb/],
    [{ NIMBUS_MAX_BODY: 'lots' }, [], /NIMBUS_MAX_BODY must be a size/],
    [{ NIMBUS_DEFAULT_COUNT: '50', NIMBUS_MAX_COUNT: '10' }, [], /must not exceed/],
    [{ NIMBUS_LOG_LEVEL: 'loud' }, [], /NIMBUS_LOG_LEVEL must be one of/],
    [{ NIMBUS_BASE_URL: 'ftp://x' }, [], /http or https/],
    [{}, ['--colour', 'red'], /unknown option --colour/],
    [{}, ['--port'], /needs a value/],
    [{ NIMBUS_AUTH: 'maybe' }, [], /NIMBUS_AUTH must be off, smart or external/],
    [{ NIMBUS_AUTH: 'external', NIMBUS_BASE_URL: 'https://f.example/fhir' }, [], /needs NIMBUS_AUTH_ISSUER and NIMBUS_AUTH_JWKS_URL/],
    [{ NIMBUS_AUTH: 'external', NIMBUS_AUTH_ISSUER: 'https://idp', NIMBUS_AUTH_JWKS_URL: 'https://idp/certs' }, [], /needs NIMBUS_BASE_URL \(or NIMBUS_AUTH_AUDIENCE\)/],
    [{ NIMBUS_AUTH_JWKS_URL: 'file:///etc/keys' }, [], /NIMBUS_AUTH_JWKS_URL must use http or https/],
    [{ NIMBUS_CORS_ORIGINS: 'https://app.example/path' }, [], /NIMBUS_CORS_ORIGINS must list origins/],
  ] as const)('refuses %j %j with a clear message', (env, args, message) => {
    expect(() => loadConfig(env, [...args])).toThrow(ConfigError);
    expect(() => loadConfig(env, [...args])).toThrow(message);
  });

  it('parses sizes', () => {
    expect(parseBytes('X', '16mb')).toBe(16 * 1024 * 1024);
    expect(parseBytes('X', '512kb')).toBe(512 * 1024);
    expect(parseBytes('X', '2048')).toBe(2048);
  });

  describe('authorization settings', () => {
    it('keeps auth off by default, on loopback, so a fresh clone starts', () => {
      const c = loadConfig({});
      expect(c.auth).toBe('off');
      expect(() => checkListenSafety(c)).not.toThrow();
      expect(auditEnabled(c)).toBe(false);
    });

    it('refuses anonymous access on a non-loopback address, saying how to turn auth on', () => {
      const c = loadConfig({ HOST: '0.0.0.0' });
      expect(() => checkListenSafety(c)).toThrow(ConfigError);
      expect(() => checkListenSafety(c)).toThrow(/--auth smart.*--allow-anonymous/);
      expect(() => checkListenSafety(loadConfig({ HOST: '0.0.0.0' }, ['--allow-anonymous']))).not.toThrow();
      expect(() => checkListenSafety(loadConfig({ HOST: '::1' }))).not.toThrow();
      expect(() => checkListenSafety(loadConfig({ HOST: '0.0.0.0', NIMBUS_AUTH: 'smart', NIMBUS_BASE_URL: 'https://f.example/fhir' }))).not.toThrow();
      // With auth on, beyond loopback, the public URL is a setting (tokens are issued for it).
      expect(() => checkListenSafety(loadConfig({ HOST: '0.0.0.0', NIMBUS_AUTH: 'smart' }))).toThrow(/needs NIMBUS_BASE_URL/);
      expect(() => checkListenSafety(loadConfig({ NIMBUS_AUTH: 'smart' }))).not.toThrow();
    });

    it('defaults issuer and audience to the base URL in smart mode, and audits when auth is on', () => {
      const c = loadConfig({}, ['--auth', 'smart', '--base-url', 'https://f.example/fhir/']);
      expect(c).toMatchObject({ auth: 'smart', authIssuer: 'https://f.example/fhir', authAudience: 'https://f.example/fhir' });
      expect(auditEnabled(c)).toBe(true);
      expect(auditEnabled(loadConfig({ NIMBUS_AUDIT: 'true' }))).toBe(true);
    });

    it('reads external mode settings with configurable claim names', () => {
      const c = loadConfig({
        NIMBUS_AUTH: 'external',
        NIMBUS_BASE_URL: 'https://f.example/fhir',
        NIMBUS_AUTH_ISSUER: 'https://idp.example/realms/x',
        NIMBUS_AUTH_JWKS_URL: 'https://idp.example/realms/x/certs',
        NIMBUS_AUTH_SCOPE_CLAIM: 'scp',
        NIMBUS_AUTH_PATIENT_CLAIM: 'patient_id',
        NIMBUS_CORS_ORIGINS: 'https://app.example, http://localhost:3000',
        NIMBUS_TRUST_PROXY: 'yes',
      });
      expect(c).toMatchObject({ authScopeClaim: 'scp', authPatientClaim: 'patient_id', authFhirUserClaim: 'fhirUser', authAudience: 'https://f.example/fhir', trustProxy: true });
      expect(c.corsOrigins).toEqual(['https://app.example', 'http://localhost:3000']);
    });
  });
});
