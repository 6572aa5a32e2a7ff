// A FerretDB server of the test's own (never the shared one), which a test may stop and start
// again on the same port and data directory to cause a real outage. Same flags as
// .ci/ferretdb.sh's ferretdb_start; the binary comes from its ferretdb_binary (cached build).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from './engines';

const SCRIPT = path.resolve(__dirname, '..', '..', '.ci', 'ferretdb.sh');

/** The FerretDB binary, or why there is none (no cached build and no Go to build one). */
export function ferretdbBinary(): { bin?: string; why?: string } {
  const r = spawnSync('bash', ['-c', `source "${SCRIPT}" && ferretdb_binary`], { encoding: 'utf8', timeout: 600_000 });
  const bin = r.stdout.trim().split('\n').pop();
  return r.status === 0 && bin ? { bin } : { why: `no FerretDB binary: ${(r.stderr || r.stdout).trim().slice(0, 200)}` };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class PrivateFerretDb {
  private child?: ChildProcess;
  readonly dir = tempDir('nimbus-ferret-');
  private constructor(
    private readonly bin: string,
    readonly port: number,
  ) {}

  static async start(bin: string): Promise<PrivateFerretDb> {
    const db = new PrivateFerretDb(bin, await freePort());
    await db.up();
    return db;
  }

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  /** Starts (again) on the same port and data directory. */
  async up(): Promise<void> {
    fs.mkdirSync(path.join(this.dir, 'data'), { recursive: true });
    const child = spawn(
      this.bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${this.dir}/data/`,
        `--state-dir=${this.dir}`,
        `--listen-addr=127.0.0.1:${this.port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=WARN',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`FerretDB exited at start-up (code ${child.exitCode})`);
      if (await accepting(this.port)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('FerretDB did not accept connections within 20 s');
  }

  /** Stops this server (SIGTERM) and waits until it has exited. */
  async down(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}
