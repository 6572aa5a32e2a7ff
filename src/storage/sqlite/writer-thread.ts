// Entry point of the writer thread: owns the write connection (SqliteWriter) and runs the main
// thread's command batches in order. After a failed write or commit it rolls the open transaction
// back and refuses everything until `reset`: the transactions queued behind the failure were
// prepared by the main thread on the assumption that it would succeed, so none of them may apply.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteWriter } from './sqlite-writer';
import { serializeError, type Command, type Reply } from './writer-protocol';

const port = parentPort!;
const writer = new SqliteWriter((workerData as { file: string }).file);
let failure: unknown;

function reply(r: Reply): void {
  port.postMessage(r);
}

function run(c: Command): unknown {
  switch (c.op) {
    case 'begin':
      return writer.begin();
    case 'savepoint':
      return writer.savepoint();
    case 'release':
      return writer.release();
    case 'rollbackToSavepoint':
      return writer.rollbackToSavepoint();
    case 'write':
      return writer.write(c.version);
    case 'rewrite':
      return writer.rewrite(c.version);
    case 'expunge':
      return writer.expunge(c.type, c.resourceId);
    case 'systemPut':
      return writer.system.write(c.collection, c.key, c.row, c.previous);
    case 'systemDelete':
      return writer.system.delete(c.collection, c.key, c.rev);
    case 'commit':
      return writer.commit();
    case 'vread':
      return writer.vread(c.type, c.resourceId, c.versionId);
    case 'search':
      return writer.search(c.plan);
    case 'ping':
      return writer.ping();
    case 'close':
      return writer.close();
    case 'reset':
      failure = undefined;
      return writer.rollback();
  }
}

/** Statistics are an optimisation: failing to refresh them (say, a lock held by another
 * process) must not fail the writes that follow. */
function maintain(): void {
  try {
    writer.maintain();
  } catch {
    // retried after the next commit
  }
}

/** Reads change nothing, so their failure (e.g. a search too large for SQLite) is only theirs. */
const READS = new Set<Command['op']>(['vread', 'search', 'ping']);

port.on('message', (batch: Command[]) => {
  for (const c of batch) {
    const id = 'id' in c ? c.id : undefined;
    if (failure !== undefined && c.op !== 'reset' && c.op !== 'close') {
      if (id !== undefined) reply({ id, ok: false, error: serializeError(failure) });
      continue;
    }
    try {
      const value = run(c);
      if (id !== undefined) reply({ id, ok: true, value });
      if (c.op === 'commit') maintain();
    } catch (e) {
      if (!READS.has(c.op)) {
        failure = e;
        try {
          writer.rollback();
        } catch {
          // the connection is unusable; every later command reports the first failure
        }
      }
      if (id !== undefined) reply({ id, ok: false, error: serializeError(e) });
    }
  }
});
