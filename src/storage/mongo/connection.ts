// Connects to a MongoDB-protocol deployment and finds out what it can do (transactions? FerretDB's
// command subset?), so the engine adapts once at start-up instead of failing at the first request.
import { MongoClient, type Db } from 'mongodb';

/** What the deployment supports, detected from `hello` and `buildInfo`. */
export interface Capabilities {
  /** Replica set or sharded cluster: multi-document transactions are available. */
  transactions: boolean;
  /** FerretDB (MongoDB wire protocol over SQL); its version, when detected. */
  ferretdb?: string;
  /** `$elemMatch` with field conditions on arrays of documents. FerretDB 1.x only accepts
   * operator expressions there (FerretDB issue #2964), so entry predicates are expanded instead. */
  elemMatchOnDocuments: boolean;
  /** Partial indexes (`partialFilterExpression`): MongoDB 3.2+, not FerretDB 1.x. */
  partialIndexes: boolean;
  /** TTL indexes (`expireAfterSeconds`): MongoDB, not FerretDB 1.x ("not implemented yet"). */
  ttlIndexes: boolean;
  /** `2dsphere` indexes and `$geoWithin`: MongoDB, not FerretDB 1.x (no geospatial support). */
  geoIndexes: boolean;
  serverVersion: string;
  topology: 'standalone' | 'replicaSet' | 'sharded';
}

export interface MongoConnection {
  client: MongoClient;
  db: Db;
  capabilities: Capabilities;
  /** The URI with credentials removed, for banners and logs. */
  location: string;
}

export interface ConnectOptions {
  uri: string;
  database: string;
  /** How long to look for a usable server before giving up (start-up and each operation). */
  serverSelectionTimeoutMS?: number;
}

/** Hides `user:password@` so that a URI can be logged. */
export function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]*@/, '$1***@');
}

export class MongoUnreachableError extends Error {}

export async function connectMongo(options: ConnectOptions): Promise<MongoConnection> {
  const location = `${redactUri(options.uri)} (database ${options.database})`;
  const client = new MongoClient(options.uri, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    // An acknowledged write is on a majority of members' journals, so a fail-over cannot roll it
    // back; reads see only majority-committed data, so nobody reads a write that could vanish.
    writeConcern: { w: 'majority', journal: true },
    readConcern: { level: 'majority' },
    retryWrites: true,
    retryReads: true,
    appName: 'nimbus-fhir',
    // IndexValues leave absent fields undefined ("no such value"); stored as null they would match
    // `{s: {$exists: true}}` and break "code without system".
    ignoreUndefined: true,
  });
  try {
    await client.connect();
    const admin = client.db('admin');
    const hello = await admin.command({ hello: 1 });
    const build = await admin.command({ buildInfo: 1 });
    return { client, db: client.db(options.database), capabilities: detectCapabilities(hello, build), location };
  } catch (e) {
    await client.close().catch(() => undefined);
    throw new MongoUnreachableError(`cannot reach MongoDB at ${location}: ${(e as Error).message}`);
  }
}

/** Pure, so that the decision table is unit-tested without a server. */
export function detectCapabilities(hello: Record<string, unknown>, build: Record<string, unknown>): Capabilities {
  const ferretdb = typeof build.ferretdbVersion === 'string' ? build.ferretdbVersion : undefined;
  const topology = hello.msg === 'isdbgrid' ? 'sharded' : typeof hello.setName === 'string' ? 'replicaSet' : 'standalone';
  // Transactions need wire version 7 (replica sets, MongoDB 4.0) or 8 (sharded, 4.2).
  const wire = typeof hello.maxWireVersion === 'number' ? hello.maxWireVersion : 0;
  const transactions = !ferretdb && ((topology === 'replicaSet' && wire >= 7) || (topology === 'sharded' && wire >= 8));
  return {
    transactions,
    ...(ferretdb ? { ferretdb } : {}),
    elemMatchOnDocuments: !ferretdb,
    partialIndexes: !ferretdb,
    ttlIndexes: !ferretdb,
    geoIndexes: !ferretdb,
    serverVersion: typeof build.version === 'string' ? build.version : 'unknown',
    topology,
  };
}
