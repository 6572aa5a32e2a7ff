// Settings: environment variables and matching flags, validated with messages that name the setting.
import path from 'node:path';
import { ConfigError, loadConfig, parseBytes } from '../../src/config';

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
  ] as const)('refuses %j %j with a clear message', (env, args, message) => {
    expect(() => loadConfig(env, [...args])).toThrow(ConfigError);
    expect(() => loadConfig(env, [...args])).toThrow(message);
  });

  it('parses sizes', () => {
    expect(parseBytes('X', '16mb')).toBe(16 * 1024 * 1024);
    expect(parseBytes('X', '512kb')).toBe(512 * 1024);
    expect(parseBytes('X', '2048')).toBe(2048);
  });
});
