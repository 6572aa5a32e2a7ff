// A fresh MongoDB engine per suite: its own database (unique name), dropped when the engine closes,
// so suites run in parallel against one server without seeing each other's data.
import { randomBytes } from 'node:crypto';
import type { Engine } from '../../src/storage/engine';
import { MongoEngine } from '../../src/storage/mongo/mongo-engine';

export async function makeMongoTestEngine(uri: string): Promise<Engine> {
  const database = `nimbus_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  return MongoEngine.open({ uri, database, dropOnClose: true, serverSelectionTimeoutMS: 5000 });
}
