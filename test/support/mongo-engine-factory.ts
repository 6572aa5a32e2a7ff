// A fresh MongoDB engine per suite: its own database (unique name), dropped when the engine closes,
// so suites run in parallel against one server without seeing each other's data. Writers of one
// resource wait longer for their turn than in production: a shared CI FerretDB under load takes
// up to a second per update, and the suites run 50 writers of one resource at once.
import { randomBytes } from 'node:crypto';
import type { Engine } from '../../src/storage/engine';
import { MongoEngine } from '../../src/storage/mongo/mongo-engine';

export async function makeMongoTestEngine(uri: string): Promise<Engine> {
  const database = `nimbus_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  return MongoEngine.open({ uri, database, dropOnClose: true, serverSelectionTimeoutMS: 5000, locks: { waitMs: 100_000 } });
}
