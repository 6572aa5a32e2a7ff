// The scale-out target: N real server processes (`node dist/src/main.js serve`, as `npm test`'s
// pretest builds it) over ONE MongoDB database, started at the same moment, behind a round-robin
// proxy (test/support/round-robin-proxy.ts). Each `start` gets a fresh database and its own
// processes, configured with the suite's environment; the contract suites talk to the proxy.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { startRoundRobinProxy, type RoundRobinProxy } from '../../bench/round-robin-proxy';
import { startServerProcess, waitForExit, type ServerProcess } from '../support/process';
import { mongoHasTransactions, type ContractServer, type ContractTarget, type TargetTraits } from './target';

export interface ProcessGroup extends ContractServer {
  proxy: RoundRobinProxy;
  processes: ServerProcess[];
  database: string;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts `count` processes at the same moment over a new database, and the proxy in front. */
export async function startProcessGroup(uri: string, count: number, env: Record<string, string> = {}, traits?: TargetTraits): Promise<ProcessGroup> {
  const database = `nimbus_test_mp_${randomBytes(4).toString('hex')}`;
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const started = await Promise.allSettled(
    // Writers of one resource wait as long as in the in-process suites (mongo-engine-factory.ts):
    // a shared CI FerretDB under load takes up to a second per update, and the conditional suite
    // sends 50 creates with one criteria at once, which take turns across the processes.
    ports.map((port) =>
      startServerProcess({ NIMBUS_ENGINE: 'mongodb', MONGODB_URI: uri, NIMBUS_MONGODB_DATABASE: database, PORT: String(port), NIMBUS_MONGODB_LOCK_WAIT: '100s', ...env }, 120_000),
    ),
  );
  const up = started.filter((s): s is PromiseFulfilledResult<ServerProcess> => s.status === 'fulfilled').map((s) => s.value);
  const stop = async () => {
    for (const p of up) p.child.kill('SIGTERM');
    await Promise.all(up.map((p) => waitForExit(p.child)));
    const client = await MongoClient.connect(uri);
    await client.db(database).dropDatabase().catch(() => undefined);
    await client.close();
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw new Error(`a server process did not start: ${String(failed.reason).slice(0, 2000)}`);
  }
  const proxy = await startRoundRobinProxy(ports.map((port) => `http://127.0.0.1:${port}`));
  return {
    http: supertest(proxy.url),
    traits: traits ?? { name: `${count} processes over mongodb`, engine: 'mongodb', processes: count, atomicTransactions: mongoHasTransactions(uri) },
    exactClock: false,
    // The processes' clocks are the wall clock: let a little time pass so later writes are later.
    advance: () => sleep(5),
    proxy,
    processes: up,
    database,
    close: async () => {
      await proxy.close();
      await stop();
    },
  };
}

export function processTarget(count: number): ContractTarget {
  const uri = process.env.MONGODB_URI;
  return {
    get traits(): TargetTraits {
      return { name: `${count} processes over mongodb`, engine: 'mongodb', processes: count, atomicTransactions: uri ? mongoHasTransactions(uri) : false };
    },
    skipReason: uri ? undefined : 'MONGODB_URI is not set',
    start(options = {}) {
      return startProcessGroup(uri!, count, options.env, this.traits);
    },
  };
}
