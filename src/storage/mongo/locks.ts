// Named mutual exclusion across server processes, for writes that must not interleave when the
// deployment has no multi-document transactions. Built only from what every MongoDB-protocol
// server makes atomic — a unique `_id` insert, and the count of a delete by `_id` — because
// FerretDB 1.x runs an update as a query followed by a write of the whole document, so two
// concurrent `updateOne({_id, rev: 1}, …)` both match (measured: 13 of 20 rounds of 10).
//
// A lock is the document `{_id: "l:<name>", g: <generation>, exp}` in `nimbus_locks`. Its holder
// removes it when done. A holder that died leaves it until its lease expires; then a waiter
// breaks it. Breaking (and releasing late, when a lease might have expired) first inserts the
// claim `b:<name>!<generation>`: only the one who wins that claim deletes the lock document, so
// two breakers can never delete each other's fresh lock. Claims expire after an hour (TTL index
// where the server has one, a lazy purge elsewhere); generations are random, never reused.
//
// Leases assume server clocks agree to within a few seconds (NTP): the holder's clock stamps the
// expiry, a waiter's clock reads it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Collection, Db } from 'mongodb';
import { engineErrors } from '../engine-errors';
import type { Capabilities } from './connection';
import { LOCKS } from './layout';
import { isDuplicateKey } from './write';

export interface LockOptions {
  /** How long a lock protects its holder if the holder dies; a live holder renews it. */
  leaseMs?: number;
  /** How long to wait for a held lock before giving up with a 503. */
  waitMs?: number;
  /** Called when a wait begins and about every 10 s after, with the holder (host/pid): a log line. */
  onWait?: (holder: string | undefined, waitedMs: number) => void;
}

/** A lock this process holds. */
export interface Lease {
  readonly name: string;
  readonly g: string;
  readonly leaseMs: number;
  /** When it was last (re)stamped, local clock. */
  at: number;
  renewal?: NodeJS.Timeout;
  /** Passes the lock to the next waiter of this process, or releases it. */
  handOn?: (lease: Lease) => Promise<void>;
}

/** A waiter's turn: resolves when the one before it is done, with the lease if it was handed on. */
type Turn = Promise<Lease | undefined>;

interface LockDocument {
  _id: string;
  /** generation: random per acquisition */
  g?: string;
  /** lease expiry (locks) */
  exp?: Date;
  /** who holds it (host/pid), for log lines of those waiting */
  by?: string;
  /** when a break claim may be removed */
  gc?: Date;
}

const CLAIM_TTL_MS = 60 * 60 * 1000;
const PURGE_EVERY_MS = 60_000;
const WAIT_LOG_EVERY_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MongoLocks {
  private readonly docs: Collection<LockDocument>;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private lastPurge = 0;
  /** Per name, the end of this process's queue of waiters: they take turns locally, so only one
   * of them at a time polls the database (fifty polling writers slowed the holder down). */
  private readonly queues = new Map<string, Turn>();

  constructor(
    db: Db,
    private readonly capabilities: Capabilities,
    options: LockOptions = {},
    /** Written into each lock so that waiters can say whom they wait for. */
    private readonly holder = `${hostname()}/${process.pid}`,
  ) {
    this.docs = db.collection<LockDocument>(LOCKS);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 30_000;
  }

  /** Runs `fn` while holding the lock `name`; waits (bounded) while another holds it. */
  async hold<T>(name: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    const lease = await this.acquire(name, options);
    try {
      return await fn();
    } finally {
      await this.release(lease);
    }
  }

  async acquire(name: string, options: LockOptions = {}): Promise<Lease> {
    const waitMs = options.waitMs ?? this.waitMs;
    const started = Date.now();
    const previous = this.queues.get(name) ?? Promise.resolve(undefined);
    let pass!: (lease: Lease | undefined) => void;
    const mine: Turn = new Promise((resolve) => (pass = resolve));
    this.queues.set(name, mine);
    const handOn = (lease: Lease | undefined) => this.handOn(name, mine, pass, lease);

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
    const inherited = await Promise.race([previous, timeout]);
    clearTimeout(timer);
    if (inherited === 'timeout') {
      // Give up our turn without blocking those behind us: it passes on once it comes.
      void previous.then(handOn);
      throw engineErrors.busy(name, waitMs);
    }
    if (inherited) {
      inherited.handOn = handOn;
      return inherited;
    }
    try {
      const lease = await this.acquireShared(name, options, started);
      lease.handOn = handOn;
      return lease;
    } catch (e) {
      handOn(undefined);
      throw e;
    }
  }

  async release(lease: Lease): Promise<void> {
    if (lease.handOn) await lease.handOn(lease);
    else await this.releaseShared(lease);
  }

  /** A waiter of this process queued behind: it inherits the database lock as it is (two writes
   * to the database saved per turn). Nobody: the database lock is released. */
  private async handOn(name: string, mine: Turn, pass: (lease: Lease | undefined) => void, lease: Lease | undefined): Promise<void> {
    if (this.queues.get(name) !== mine) {
      pass(lease);
      return;
    }
    this.queues.delete(name);
    pass(undefined);
    if (lease) await this.releaseShared(lease);
  }

  /** The database lock, once this process's earlier waiters have had their turn. */
  private async acquireShared(name: string, options: LockOptions, started: number): Promise<Lease> {
    const _id = `l:${name}`;
    const leaseMs = options.leaseMs ?? this.leaseMs;
    const waitMs = options.waitMs ?? this.waitMs;
    let lastLog = started - WAIT_LOG_EVERY_MS; // the first wait is reported at once
    await this.purgeNowAndThen();
    for (let attempt = 0; ; attempt++) {
      const g = randomUUID();
      const at = Date.now();
      try {
        await this.docs.insertOne({ _id, g, exp: new Date(at + leaseMs), by: this.holder });
        const lease: Lease = { name, g, at, leaseMs };
        // A live holder keeps its lease fresh, so only a dead one's lock is ever broken.
        lease.renewal = setInterval(() => void this.renew(lease), leaseMs / 3);
        lease.renewal.unref();
        return lease;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
      const holder = await this.docs.findOne({ _id });
      if (!holder) continue; // released meanwhile
      if (holder.exp && holder.exp.getTime() <= Date.now()) {
        await this.breakLock(name, holder.g ?? '');
        continue;
      }
      const waited = Date.now() - started;
      if (waited >= waitMs) throw engineErrors.busy(name, waitMs);
      if (options.onWait && Date.now() - lastLog >= WAIT_LOG_EVERY_MS) {
        lastLog = Date.now();
        options.onWait(holder.by, waited);
      }
      // Growing, jittered waits: many waiters on one hot resource must not all retry in step.
      await sleep(Math.random() * Math.min(options.onWait ? 500 : 100, 2 + attempt * 8));
    }
  }

  private async releaseShared(lease: Lease): Promise<void> {
    clearInterval(lease.renewal);
    // Within half its lease nobody can have broken the lock (a waiter breaks only an expired one),
    // so it is still ours to delete; later, it is released like a break, through the claim.
    if (Date.now() - lease.at < lease.leaseMs / 2) await this.docs.deleteOne({ _id: `l:${lease.name}`, g: lease.g });
    else await this.breakLock(lease.name, lease.g);
  }

  private async renew(lease: Lease): Promise<void> {
    const at = Date.now();
    try {
      const res = await this.docs.updateOne({ _id: `l:${lease.name}`, g: lease.g }, { $set: { exp: new Date(at + lease.leaseMs) } });
      if (res.matchedCount === 1) lease.at = at;
    } catch {
      // the next renewal tries again; the lease is still valid meanwhile
    }
  }

  /** Removes generation `g` of the lock, unless someone else already claimed that. */
  private async breakLock(name: string, g: string): Promise<void> {
    try {
      await this.docs.insertOne({ _id: `b:${name}!${g}`, gc: new Date(Date.now() + CLAIM_TTL_MS) });
    } catch (e) {
      if (isDuplicateKey(e)) return;
      throw e;
    }
    await this.docs.deleteOne({ _id: `l:${name}`, g });
  }

  private async purgeNowAndThen(): Promise<void> {
    if (this.capabilities.ttlIndexes || Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    await this.docs.deleteMany({ gc: { $lte: new Date() } });
  }
}

/** The locks one engine transaction holds: taken as it touches things, released when it ends. */
export class HeldLocks {
  private readonly held = new Map<string, Promise<Lease>>();

  constructor(private readonly locks: MongoLocks) {}

  /** Idempotent: a transaction touching a resource twice takes its lock once. */
  async take(name: string): Promise<void> {
    let lease = this.held.get(name);
    if (!lease) {
      lease = this.locks.acquire(name);
      this.held.set(name, lease);
      lease.catch(() => this.held.delete(name));
    }
    await lease;
  }

  async release(name: string): Promise<void> {
    const lease = this.held.get(name);
    if (!lease) return;
    this.held.delete(name);
    await this.locks.release(await lease);
  }

  async releaseAll(): Promise<void> {
    const all = [...this.held.keys()];
    await Promise.allSettled(all.map((name) => this.release(name)));
  }
}
