// Group commit, pipelined onto the writer thread.
//
// Transactions queue here and run one after another on the main thread, each inside its own
// SAVEPOINT of a shared SQLite transaction (a failing one is rolled back alone). One COMMIT, so one
// fsync, then covers the whole group: that is what lets synchronous=FULL sustain thousands of
// acknowledged writes per second. Every caller is answered only after its group's COMMIT is
// acknowledged, so an acknowledged write is durable.
//
// The SQLite work runs on the writer thread: a transaction's writes are posted to it without
// waiting, so while it inserts index rows for one transaction, the main thread validates and
// indexes the next. And while one group commits, the next group is already being prepared; it
// commits only after the previous commit is acknowledged.
//
// Why pipelined writes are safe: a transaction reads its own and earlier transactions' writes from
// PendingWrites (what was handed over but is not yet acknowledged) and everything else from the
// read connection. If the writer thread fails a write or a commit (disk full, I/O error), it
// rolls back and refuses every command until `reset`; the main thread then fails that group and
// the one prepared behind it (which may have read the failed group's writes), and resets.
import { expungeAllowed, type EngineTransaction, type ExpungeCondition, type ResourceVersion, type VersionWrite, type WriteStatistics } from '../engine';
import { PendingWrites, type SystemRow } from './pending-writes';
import type { WriterChannel } from './writer-channel';
import { engineErrors } from '../engine-errors';

/** What the engine's own writes see besides the contract's transaction: rewriting the current
 * version in place and the SystemStore's documents, decided against the same view (committed +
 * pending) so that nothing is decided on a stale pending state. */
export interface SqliteTransaction extends EngineTransaction {
  /** See Engine.rewriteCurrent; the arguments are already checked. */
  rewriteCurrent(expected: ResourceVersion, next: VersionWrite): boolean;
  /** See Engine.expunge: the versions removed (0: absent, or the condition does not hold). */
  expunge(type: string, id: string, condition?: ExpungeCondition): number;
  /** The stored row, expired or not (callers apply the expiry rule). */
  systemRow(collection: string, key: string): SystemRow | undefined;
  /** Writes `row` over whatever `previous` (the row read just before, if any) was. */
  systemPut(collection: string, key: string, row: SystemRow, previous: SystemRow | undefined): void;
  systemDelete(collection: string, key: string, previous: SystemRow): void;
}

/** Committed state, from the read connection. */
export interface CommittedReads {
  version(type: string, id: string): ResourceVersion | undefined;
  systemRow(collection: string, key: string): SystemRow | undefined;
}

/** Most transactions committed together; bounds the latency a group adds to its first member. */
const MAX_GROUP = 256;

interface Job {
  fn: (tx: SqliteTransaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

interface Group {
  seq: number;
  jobs: Job[];
  outcomes: { ok: boolean; value: unknown }[];
}

export class GroupCommit {
  private readonly queue: Job[] = [];
  private readonly pending = new PendingWrites();
  private pumping = false;
  /** The commit of the last group posted; never rejects (its callers are answered instead). */
  private inFlight: Promise<void> = Promise.resolve();
  private seq = 0;
  /** Groups up to this one are failed; a group begun after the failure was seen is not. */
  private failedThrough = 0;
  private resetNeeded = false;
  private closed = false;
  private readonly counts = { groups: 0, transactions: 0, failedGroups: 0, commitWaitSeconds: 0 };

  constructor(
    private readonly channel: WriterChannel,
    private readonly committed: CommittedReads,
  ) {}

  transaction<T>(fn: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the SQLite engine is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn: fn as Job['fn'], resolve: resolve as Job['resolve'], reject });
      if (!this.pumping) void this.pump();
    });
  }

  statistics(): WriteStatistics {
    return { queued: this.queue.length, ...this.counts };
  }

  /** Refuses new transactions and waits until every queued one is answered. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pumping) await new Promise<void>((resolve) => setImmediate(resolve));
    await this.inFlight;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length) {
        // Requests that arrived while the last group was prepared are still unread sockets: let
        // the poll phase run once so that they can join this group.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const group = this.begin();
        while (this.queue.length && group.jobs.length < MAX_GROUP) await this.run(group, this.queue.shift()!);
        await this.inFlight;
        this.inFlight = this.commit(group);
      }
    } finally {
      this.pumping = false;
    }
  }

  private begin(): Group {
    if (this.resetNeeded) {
      this.channel.send({ op: 'reset' });
      this.resetNeeded = false;
    }
    this.channel.send({ op: 'begin' });
    return { seq: ++this.seq, jobs: [], outcomes: [] };
  }

  private async run(group: Group, job: Job): Promise<void> {
    this.channel.send({ op: 'savepoint' });
    this.pending.beginTransaction();
    try {
      const value = await job.fn(this.view(group.seq));
      this.channel.send({ op: 'release' });
      group.outcomes.push({ ok: true, value });
    } catch (e) {
      this.channel.send({ op: 'rollbackToSavepoint' });
      this.pending.rollBackTransaction();
      group.outcomes.push({ ok: false, value: e });
    }
    group.jobs.push(job);
    this.channel.flush();
  }

  private commit(group: Group): Promise<void> {
    const posted = performance.now();
    const counted = (failed: boolean) => {
      this.counts.commitWaitSeconds += (performance.now() - posted) / 1000;
      if (failed) this.counts.failedGroups++;
      else {
        this.counts.groups++;
        this.counts.transactions += group.jobs.length;
      }
    };
    return this.channel.request('commit').then(
      () => {
        counted(false);
        this.pending.committed(group.seq);
        group.jobs.forEach((job, i) => (group.outcomes[i].ok ? job.resolve(group.outcomes[i].value) : job.reject(group.outcomes[i].value)));
      },
      (e: unknown) => {
        counted(true);
        if (group.seq > this.failedThrough) {
          // The writer thread refuses everything until reset, so the group being prepared now
          // (begun before this reply) fails too; the next group begins with the reset.
          this.failedThrough = this.seq;
          this.resetNeeded = true;
        }
        this.pending.failed(this.failedThrough);
        for (const job of group.jobs) job.reject(e);
      },
    );
  }

  private view(seq: number): SqliteTransaction {
    const current = (type: string, id: string): ResourceVersion | undefined => {
      const pending = this.pending.get(type, id);
      return pending === null ? undefined : (pending ?? this.committed.version(type, id));
    };
    const systemRow = (collection: string, key: string) => {
      const pending = this.pending.getSystem(collection, key);
      return pending === null ? undefined : (pending ?? this.committed.systemRow(collection, key));
    };
    return {
      read: async (type, id) => current(type, id),
      vread: (type, id, versionId) => this.channel.request('vread', { type, resourceId: id, versionId }),
      search: (plan) => this.channel.request('search', { plan }),
      write: async (version) => {
        // Checked here, not only by the writer thread: a refused write must fail its own
        // transaction, not the group it would poison there.
        const now = current(version.resourceType, version.id);
        if (now && version.versionId <= now.versionId) {
          throw engineErrors.notNewer(version.resourceType, version.id, version.versionId, now.versionId);
        }
        this.pending.put(seq, version);
        this.channel.send({ op: 'write', version });
      },
      // Transactions run one after another: a claim is already exclusive.
      claim: async () => undefined,
      rewriteCurrent: (expected, next) => {
        const now = current(expected.resourceType, expected.id);
        if (!now || now.deleted || now.versionId !== expected.versionId || now.json !== expected.json) return false;
        this.pending.put(seq, next);
        this.channel.send({ op: 'rewrite', version: next });
        return true;
      },
      expunge: (type, id, condition) => {
        const now = current(type, id);
        if (!now || !expungeAllowed(now, condition)) return 0;
        this.pending.expunged(seq, type, id);
        this.channel.send({ op: 'expunge', type, resourceId: id });
        // Versions are numbered 1, 2, 3… and a resource loses none but by an expunge of all.
        return now.versionId;
      },
      systemRow,
      systemPut: (collection, key, row, previous) => {
        this.pending.putSystem(seq, collection, key, row);
        this.channel.send({ op: 'systemPut', collection, key, row, previous: previous?.rev ?? 0 });
      },
      systemDelete: (collection, key, previous) => {
        this.pending.putSystem(seq, collection, key, null);
        this.channel.send({ op: 'systemDelete', collection, key, rev: previous.rev });
      },
    };
  }
}
