// The versions the main thread has handed to the writer thread whose commit it has not yet seen
// acknowledged. A transaction reads a resource here first and falls back to the read connection:
// everything not pending is committed, and the read connection sees every committed write. So a
// read inside a transaction needs no round trip to the writer thread, and writes can be pipelined.
import type { ResourceVersion, VersionWrite } from '../engine';

interface Pending {
  group: number;
  version: ResourceVersion;
}

export class PendingWrites {
  private readonly latest = new Map<string, Pending>();
  private readonly keysOf = new Map<number, string[]>();
  /** Groups up to this one failed: nothing they wrote exists. */
  private failedThrough = 0;
  /** Undo log of the transaction being prepared: [key, what it replaced]. */
  private undo: [string, Pending | undefined][] = [];

  /** The newest pending version (possibly a delete marker), or undefined when none is pending. */
  get(type: string, id: string): ResourceVersion | undefined {
    const p = this.latest.get(`${type}/${id}`);
    return p && p.group > this.failedThrough ? p.version : undefined;
  }

  put(group: number, v: VersionWrite): void {
    const key = `${v.resourceType}/${v.id}`;
    this.undo.push([key, this.latest.get(key)]);
    // Without the index values: they are only needed by the writer thread.
    const version: ResourceVersion = { resourceType: v.resourceType, id: v.id, versionId: v.versionId, lastUpdated: v.lastUpdated, deleted: v.deleted, ...(v.json !== undefined ? { json: v.json } : {}) };
    this.latest.set(key, { group, version });
    let keys = this.keysOf.get(group);
    if (!keys) this.keysOf.set(group, (keys = []));
    keys.push(key);
  }

  beginTransaction(): void {
    this.undo = [];
  }

  /** The transaction being prepared failed: its writes are rolled back to its savepoint. */
  rollBackTransaction(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) {
      const [key, previous] = this.undo[i];
      if (previous && previous.group > this.failedThrough) this.latest.set(key, previous);
      else this.latest.delete(key);
    }
    this.undo = [];
  }

  /** The group's commit is acknowledged: the read connection now sees its writes. */
  committed(group: number): void {
    for (const key of this.keysOf.get(group) ?? []) if (this.latest.get(key)?.group === group) this.latest.delete(key);
    this.keysOf.delete(group);
  }

  /** Groups up to `through` will not commit (a failure at or before them in the writer). */
  failed(through: number): void {
    this.failedThrough = Math.max(this.failedThrough, through);
    for (const [group, keys] of this.keysOf) {
      if (group > through) continue;
      for (const key of keys) if ((this.latest.get(key)?.group ?? Infinity) <= through) this.latest.delete(key);
      this.keysOf.delete(group);
    }
  }

  get size(): number {
    return this.latest.size;
  }
}
