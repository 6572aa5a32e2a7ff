// The main thread's end of the writer thread: starts it, posts commands in batches (one message
// per batch: a postMessage per write cost more than the write), and matches replies to requests.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { deserializeError, type Command, type Reply, type ReplyValues, type Request } from './writer-protocol';

/** Commands held back before they are posted anyway; a transaction's end posts them too. */
const BATCH = 64;

type Waiter = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type RequestArgs<O extends Request['op']> = Omit<Extract<Request, { op: O }>, 'id' | 'op'>;

export class WriterChannel {
  private readonly worker: Worker;
  private batch: Command[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private broken?: Error;

  constructor(file: string) {
    this.worker = startWorker(file);
    this.worker.on('message', (r: Reply) => this.settle(r));
    this.worker.on('error', (e) => this.fail(new Error(`the SQLite writer thread failed: ${e.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`the SQLite writer thread exited (code ${code})`)));
    // Idle, the thread must not keep the process alive; while a reply is awaited it must.
    this.worker.unref();
  }

  /** Queues a command that is not answered (its failure surfaces at the next commit). */
  send(c: Command): void {
    this.batch.push(c);
    if (this.batch.length >= BATCH) this.flush();
  }

  flush(): void {
    if (!this.batch.length) return;
    const batch = this.batch;
    this.batch = [];
    if (!this.broken) this.worker.postMessage(batch);
  }

  /** Queues a command after everything sent so far and resolves with its answer. */
  request<O extends Request['op']>(op: O, args = {} as RequestArgs<O>): Promise<ReplyValues[O]> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    const p = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    if (this.waiting.size === 1) this.worker.ref();
    this.send({ ...args, op, id } as Command);
    this.flush();
    return p as Promise<ReplyValues[O]>;
  }

  async close(): Promise<void> {
    if (!this.broken) await this.request('close').catch(() => undefined);
    this.broken ??= new Error('the SQLite engine is closed');
    await this.worker.terminate();
  }

  private settle(r: Reply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (r.ok) w.resolve(r.value);
    else w.reject(deserializeError(r.error));
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const w of this.waiting.values()) w.reject(this.broken);
    this.waiting.clear();
  }
}

/** Compiled (dist/): the .js next to this file. From TypeScript sources (jest), the thread
 * compiles its modules with SWC, the transformer the tests already use. */
function startWorker(file: string): Worker {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `writer-thread${ext}`);
  if (ext === '.js') return new Worker(entry, { workerData: { file } });
  const bootstrap = `
    const fs = require('node:fs');
    const swc = require('@swc/core');
    require.extensions['.ts'] = (module, filename) => {
      const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
        filename, module: { type: 'commonjs' }, jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      });
      module._compile(code, filename);
    };
    require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData: { file } });
}
