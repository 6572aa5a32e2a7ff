// What a contract suite runs against. A contract suite (test/contract/*.case.ts) is written once,
// against HTTP only, and each target runs it: an in-process server over SQLite, one over MongoDB
// (when MONGODB_URI is set), or — test/e2e/multi-process.test.ts — several real server processes
// over one MongoDB database behind a round-robin proxy (supertest given a base URL).
//
// A suite asks a target for a server with `start({ env, fixedClock })`: the target gives it a
// fresh, empty store (own SQLite file / own MongoDB database) configured with that environment.
// What only some targets have (the engine object, the SQLite file, a clock the test moves) is
// optional on ContractServer; a case that needs it is declared in skips.ts, never dropped silently.
import { spawnSync } from 'node:child_process';
import type supertest from 'supertest';
import type { Server } from '../../src/server';
import type { Engine } from '../../src/storage/engine';
import { sqliteFactory, type EngineFactory } from '../support/engines';
import { fixedClock, makeTestServer } from '../support/server';

export interface TargetTraits {
  /** Shown in test titles and skip lines: `sqlite`, `mongodb`, `3 processes over mongodb`. */
  name: string;
  engine: 'sqlite' | 'mongodb';
  /** 0: the server runs inside the test process (supertest on its request listener). */
  processes: number;
  /** Whether transaction Bundles can be atomic here (MongoDB without a replica set: refused). */
  atomicTransactions: boolean;
}

export interface ContractServer {
  http: ReturnType<typeof supertest>;
  traits: TargetTraits;
  /**
   * Moves the server's clock forward. In-process servers started with `fixedClock` move exactly
   * `ms`; real processes run on the wall clock, so this waits a few milliseconds instead: enough
   * that later writes are stamped strictly later (cases compare against stamps they read back).
   */
  advance(ms: number): Promise<void>;
  /** Whether `advance` moves an exact, test-owned clock. */
  exactClock: boolean;
  /** In-process only: the assembled server and its engine. */
  server?: Server;
  engine?: Engine;
  /** In-process SQLite only: the database file (byte-level comparisons). */
  sqliteFile?: string;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** In-process servers get a clock that only moves on `advance`, starting here. */
  fixedClock?: string;
}

export interface ContractTarget {
  traits: TargetTraits;
  /** Why this target does not run here; undefined when it runs. */
  skipReason?: string;
  start(options?: StartOptions): Promise<ContractServer>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether the MongoDB deployment at `uri` has multi-document transactions (replica set or sharded
 * cluster, not FerretDB) — the same rule as src/storage/mongo/connection.ts. Asked once per test
 * worker, synchronously, because which cases run must be known when the suite is declared.
 */
export function mongoHasTransactions(uri: string): boolean {
  const cached = process.env.NIMBUS_TEST_MONGO_TRANSACTIONS;
  if (cached === '1' || cached === '0') return cached === '1';
  const script = `
    const { MongoClient } = require('mongodb');
    (async () => {
      const c = await MongoClient.connect(process.argv[1], { serverSelectionTimeoutMS: 5000 });
      const admin = c.db('admin');
      const hello = await admin.command({ hello: 1 });
      const build = await admin.command({ buildInfo: 1 });
      const ferret = typeof build.ferretdbVersion === 'string';
      const topo = hello.msg === 'isdbgrid' ? 'sharded' : typeof hello.setName === 'string' ? 'replicaSet' : 'standalone';
      const wire = hello.maxWireVersion ?? 0;
      process.stdout.write(!ferret && ((topo === 'replicaSet' && wire >= 7) || (topo === 'sharded' && wire >= 8)) ? '1' : '0');
      await c.close();
    })().catch((e) => { process.stderr.write(String(e)); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, uri], { encoding: 'utf8', timeout: 30_000, cwd: __dirname });
  if (r.status !== 0) throw new Error(`cannot ask ${uri} about transactions: ${r.stderr}`);
  process.env.NIMBUS_TEST_MONGO_TRANSACTIONS = r.stdout.trim();
  return r.stdout.trim() === '1';
}

/** A target that assembles the server inside the test process over a fresh engine per start. */
function inProcessTarget(factory: EngineFactory, atomicTransactions: () => boolean): ContractTarget {
  return {
    get traits() {
      return { name: factory.name, engine: factory.name, processes: 0, atomicTransactions: factory.skipReason ? false : atomicTransactions() };
    },
    skipReason: factory.skipReason,
    async start(options = {}) {
      const engine = await factory.make();
      const clock = options.fixedClock ? fixedClock(options.fixedClock) : undefined;
      const t = await makeTestServer({ engine, env: options.env, clock });
      return {
        http: t.http,
        traits: this.traits,
        exactClock: !!clock,
        advance: async (ms) => {
          if (clock) clock.advance(ms);
          else await sleep(Math.min(ms, 5));
        },
        server: t.server,
        engine: t.server.engine,
        sqliteFile: factory.name === 'sqlite' ? t.server.engine.location : undefined,
        close: () => t.close(),
      };
    },
  };
}

/** The in-process targets: SQLite always, MongoDB when MONGODB_URI is set (else a skip reason). */
export function inProcessTargets(): ContractTarget[] {
  const uri = process.env.MONGODB_URI;
  const mongo: EngineFactory = uri
    ? {
        name: 'mongodb',
        make: async () => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const mod = require('../support/mongo-engine-factory') as { makeMongoTestEngine(uri: string): Promise<Engine> };
          return mod.makeMongoTestEngine(uri);
        },
      }
    : { name: 'mongodb', skipReason: 'MONGODB_URI is not set', make: () => Promise.reject(new Error('skipped')) };
  return [inProcessTarget(sqliteFactory, () => true), inProcessTarget(mongo, () => mongoHasTransactions(uri!))];
}
