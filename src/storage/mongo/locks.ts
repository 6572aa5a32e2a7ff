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
import type { Collection, Db } from 'mongodb';
import { engineErrors } from '../engine-errors';
import type { Capabilities } from './connection';
import { LOCKS } from './layout';
import { isDuplicateKey } from './write';

export interface LockOptions {
  /** How long a lock protects its holder if the holder dies (and how long it may run). */
  leaseMs?: number;
  /** How long to wait for a held lock before giving up with a 503. */
  waitMs?: number;
}

interface LockDocument {
  _id: string;
  /** generation: random per acquisition */
  g?: string;
  /** lease expiry (locks) */
  exp?: Date;
  /** when a break claim may be removed */
  gc?: Date;
}

const CLAIM_TTL_MS = 60 * 60 * 1000;
const PURGE_EVERY_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MongoLocks {
  private readonly docs: Collection<LockDocument>;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private lastPurge = 0;

  constructor(
    db: Db,
    private readonly capabilities: Capabilities,
    options: LockOptions = {},
  ) {
    this.docs = db.collection<LockDocument>(LOCKS);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 20_000;
  }

  /** Runs `fn` while holding the lock `name`; waits (bounded) while another holds it. */
  async hold<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const held = await this.acquire(name);
    try {
      return await fn();
    } finally {
      await this.release(name, held);
    }
  }

  private async acquire(name: string): Promise<{ g: string; at: number }> {
    const _id = `l:${name}`;
    const deadline = Date.now() + this.waitMs;
    await this.purgeNowAndThen();
    for (let attempt = 0; ; attempt++) {
      const g = randomUUID();
      const at = Date.now();
      try {
        await this.docs.insertOne({ _id, g, exp: new Date(at + this.leaseMs) });
        return { g, at };
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
      const holder = await this.docs.findOne({ _id });
      if (!holder) continue; // released meanwhile
      if (holder.exp && holder.exp.getTime() <= Date.now()) {
        await this.breakLock(name, holder.g ?? '');
        continue;
      }
      if (Date.now() >= deadline) throw engineErrors.busy(name, this.waitMs);
      // Growing, jittered waits: many waiters on one hot resource must not all retry in step.
      await sleep(Math.random() * Math.min(50, 2 + attempt * 4));
    }
  }

  private async release(name: string, held: { g: string; at: number }): Promise<void> {
    // Within half its lease nobody can have broken the lock (a waiter breaks only an expired one),
    // so it is still ours to delete; later, it is released like a break, through the claim.
    if (Date.now() - held.at < this.leaseMs / 2) await this.docs.deleteOne({ _id: `l:${name}`, g: held.g });
    else await this.breakLock(name, held.g);
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
