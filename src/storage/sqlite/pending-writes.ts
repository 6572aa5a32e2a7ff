// The versions the main thread has handed to the writer thread whose commit it has not yet seen
// acknowledged. A transaction reads a resource here first and falls back to the read connection:
// everything not pending is committed, and the read connection sees every committed write. So a
// read inside a transaction needs no round trip to the writer thread, and writes can be pipelined.
// SystemStore documents are kept here the same way (their compare-and-set is decided on the main
// thread against this view), under keys that cannot collide with `Type/id`.
import type { ResourceVersion, VersionWrite } from '../engine';

/** A system_documents row as the main thread sees it. */
export interface SystemRow {
  rev: number;
  /** JSON text */
  value: string;
  expiresAt: string | null;
}

interface Pending {
  group: number;
  /** null: a system document deleted, or a resource expunged, in a pending group. */
  value: ResourceVersion | SystemRow | null;
}

const systemKey = (collection: string, key: string) => `\0${collection}\0${key}`;

export class PendingWrites {
  private readonly latest = new Map<string, Pending>();
  private readonly keysOf = new Map<number, string[]>();
  /** Groups up to this one failed: nothing they wrote exists. */
  private failedThrough = 0;
  /** Undo log of the transaction being prepared: [key, what it replaced]. */
  private undo: [string, Pending | undefined][] = [];

  /** The newest pending version (possibly a delete marker); null when a pending transaction
   * expunged the resource; undefined when nothing about it is pending. */
  get(type: string, id: string): ResourceVersion | null | undefined {
    return this.pending(`${type}/${id}`) as ResourceVersion | null | undefined;
  }

  /** The resource is expunged by a pending transaction: it no longer exists. */
  expunged(group: number, type: string, id: string): void {
    this.set(group, `${type}/${id}`, null);
  }

  put(group: number, v: VersionWrite): void {
    // Without the index values: they are only needed by the writer thread.
    const version: ResourceVersion = { resourceType: v.resourceType, id: v.id, versionId: v.versionId, lastUpdated: v.lastUpdated, deleted: v.deleted, ...(v.json !== undefined ? { json: v.json } : {}) };
    this.set(group, `${v.resourceType}/${v.id}`, version);
  }

  /** The pending state of a system document: a row, null when a pending group deleted it, or
   * undefined when nothing about it is pending. */
  getSystem(collection: string, key: string): SystemRow | null | undefined {
    return this.pending(systemKey(collection, key)) as SystemRow | null | undefined;
  }

  putSystem(group: number, collection: string, key: string, row: SystemRow | null): void {
    this.set(group, systemKey(collection, key), row);
  }

  private pending(key: string): Pending['value'] | undefined {
    const p = this.latest.get(key);
    return p && p.group > this.failedThrough ? p.value : undefined;
  }

  private set(group: number, key: string, value: Pending['value']): void {
    this.undo.push([key, this.latest.get(key)]);
    this.latest.set(key, { group, value });
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
