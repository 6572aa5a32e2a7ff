// Builds a complete server (real engine, real HTTP through supertest) for REST tests, with a
// fixed clock and predictable ids when a test asks for them.
import path from 'node:path';
import pino from 'pino';
import supertest from 'supertest';
import { loadConfig, type Config } from '../../src/config';
import type { Clock } from '../../src/interactions/services';
import { buildServer, type Server, type ServerOverrides } from '../../src/server';
import type { Engine } from '../../src/storage/engine';
import { tempDir } from './engines';

export interface TestServer {
  server: Server;
  config: Config;
  http: ReturnType<typeof supertest>;
  close(): Promise<void>;
}

export async function makeTestServer(
  options: { engine?: Engine; env?: Record<string, string>; clock?: Clock; newId?: () => string; overrides?: ServerOverrides } = {},
): Promise<TestServer> {
  const config = loadConfig({ NIMBUS_DATA_DIR: tempDir(), NIMBUS_LOG_LEVEL: 'silent', ...options.env });
  config.profilesDir = path.resolve(__dirname, '..', '..', 'fhir-profiles');
  const server = await buildServer(config, {
    ...options.overrides,
    engine: options.engine,
    clock: options.clock,
    newId: options.newId,
    logger: pino({ level: 'silent' }),
  });
  return { server, config, http: supertest(server.app), close: () => server.close() };
}

/** A clock that only moves when told to (tests never sleep to wait for time). */
export function fixedClock(start = '2025-01-01T00:00:00.000Z'): Clock & { advance(ms: number): void } {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

export function sequentialIds(prefix = 'id'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
