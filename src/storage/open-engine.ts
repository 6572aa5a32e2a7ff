// Opens the engine the configuration names. SQLite is the zero-setup default; MongoDB is loaded
// only when chosen, so an embedded deployment never pays for the driver.
import path from 'node:path';
import type { Config } from '../config';
import type { Engine } from './engine';
import { SqliteEngine } from './sqlite/sqlite-engine';

export const SQLITE_FILE_NAME = 'nimbus.sqlite';

/** `log` receives start-up lines an operator should see (e.g. waiting for another process's
 * schema migration). */
export async function openEngine(config: Config, log?: (message: string) => void): Promise<Engine> {
  if (config.engine === 'sqlite') return new SqliteEngine({ file: path.join(config.dataDir, SQLITE_FILE_NAME) });
  if (config.engine === 'mongodb') {
    if (!config.mongodbUri) throw new Error('NIMBUS_ENGINE=mongodb needs MONGODB_URI');
    // Required here, not imported above, so that SQLite deployments never load the driver.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MongoEngine } = require('./mongo/mongo-engine') as typeof import('./mongo/mongo-engine');
    return MongoEngine.open({ uri: config.mongodbUri, database: config.mongodbDatabase, schema: { log }, locks: { waitMs: config.mongodbLockWaitMs } });
  }
  throw new Error(`engine '${config.engine}' is not available in this build`);
}
