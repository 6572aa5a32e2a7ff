// A FIFO async mutex: SQLite allows one writer at a time, and a write transaction may await
// between its statements (the engine contract is async so MongoDB can honour it too), so writers
// queue here instead of interleaving on the one write connection.
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const turn = new Promise<void>((r) => (release = r));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
