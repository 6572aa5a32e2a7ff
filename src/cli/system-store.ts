// The SystemStore for operator commands that manage the authorization server's documents
// (clients, users, launch contexts, signing keys). MongoDB serves any number of processes; on
// SQLite the command opens the engine when no server runs, and otherwise writes beside the running
// server through a connection of its own (storage/sqlite/side-system-store.ts), so these commands
// work while the server runs.
import path from 'node:path';
import type { Config } from '../config';
import type { SystemStore } from '../storage/engine';
import { openEngine, SQLITE_FILE_NAME } from '../storage/open-engine';
import { DatabaseInUseError } from '../storage/sqlite/process-lock';
import { SideSystemStore } from '../storage/sqlite/side-system-store';

export interface OpenedSystemStore {
  system: SystemStore;
  close(): Promise<void>;
}

export async function openSystemStore(config: Config): Promise<OpenedSystemStore> {
  try {
    const engine = await openEngine(config);
    return { system: engine.system, close: () => engine.close() };
  } catch (e) {
    if (!(e instanceof DatabaseInUseError)) throw e;
    const side = new SideSystemStore(path.join(config.dataDir, SQLITE_FILE_NAME));
    return { system: side, close: async () => side.close() };
  }
}

/** The FHIR base URL tokens are issued for: the configured one, else where `serve` listens. */
export function configuredBaseUrl(config: Config): string {
  if (config.baseUrl) return config.baseUrl;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}/fhir`;
}
