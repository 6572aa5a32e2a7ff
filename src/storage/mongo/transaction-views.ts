// What an engine transaction sees on MongoDB, in its two forms.
//
// Without multi-document transactions (standalone, FerretDB) the writes of one resource are
// serialised across every server process by a lock (locks.ts) taken when the transaction first
// reads or writes the resource and released once its write is made: a read–compute–write (an
// update without If-Match, a delete, a patch) then never races another writer, however many
// there are, instead of losing a compare-and-set and retrying (which at 50 concurrent writers
// failed up to 35 of them, and on FerretDB — whose update filters are not atomic — could let an
// older version overwrite a newer current document). A create of version 1 under a fresh id
// needs no lock: the unique version index decides. `claim` holds a named lock until the
// transaction ends.
//
// With transactions, a claim is a write of the claim document inside the transaction: two
// transactions claiming one name conflict, and the driver reruns the loser, which then sees the
// winner's writes.
import type { ClientSession, Db } from 'mongodb';
import type { EngineReader, EngineTransaction } from '../engine';
import { engineErrors } from '../engine-errors';
import type { Capabilities } from './connection';
import { LOCKS } from './layout';
import { HeldLocks, type MongoLocks } from './locks';
import { isDuplicateKey, writeVersion, type WriteContext } from './write';

/** The lock every non-transactional writer of one resource holds. */
export const resourceLock = (type: string, id: string): string => `r:${type}/${id}`;
const claimLock = (name: string): string => `c:${name}`;

export interface ViewContext {
  db: Db;
  capabilities: Capabilities;
  knownArity: WriteContext['knownArity'];
  reader: EngineReader;
}

/** Runs `fn` without a database transaction, each resource's writers serialised by its lock. */
export async function runExclusive<T>(ctx: ViewContext, locks: MongoLocks, fn: (tx: EngineTransaction) => Promise<T>): Promise<T> {
  const held = new HeldLocks(locks);
  const { db, capabilities, knownArity, reader } = ctx;
  const tx: EngineTransaction = {
    ...reader,
    read: async (type, id) => {
      await held.take(resourceLock(type, id));
      return reader.read(type, id);
    },
    write: async (v) => {
      const name = resourceLock(v.resourceType, v.id);
      if (v.versionId > 1) await held.take(name);
      try {
        await writeVersion({ db, capabilities, knownArity }, v);
      } finally {
        // Written (or failed): nothing this transaction does later can depend on holding it, and
        // releasing now lets a long transaction (an import chunk) hold one lock at a time.
        await held.release(name);
      }
    },
    claim: (name) => held.take(claimLock(name)),
  };
  try {
    return await fn(tx);
  } finally {
    await held.releaseAll();
  }
}

/** The view inside a session transaction. */
export function sessionView(ctx: ViewContext, session: ClientSession): EngineTransaction {
  const { db, capabilities } = ctx;
  const claims = db.collection<{ _id: string; n?: number }>(LOCKS);
  return {
    ...ctx.reader,
    write: (v) => writeVersion({ db, capabilities, session }, v),
    claim: async (name) => {
      const _id = claimLock(name);
      // Created outside the transaction (an insert of a new document in two transactions would
      // be a duplicate key, which aborts instead of retrying); updated inside it, which conflicts.
      await claims.updateOne({ _id }, { $setOnInsert: { n: 0 } }, { upsert: true }).catch((e: unknown) => {
        if (!isDuplicateKey(e)) throw e;
      });
      try {
        await claims.updateOne({ _id }, { $inc: { n: 1 } }, { upsert: true, session });
      } catch (e) {
        if (isDuplicateKey(e)) throw engineErrors.concurrentUpdate('claim', name, 0);
        throw e;
      }
    },
  };
}
