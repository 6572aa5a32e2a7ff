// The server under test runs in its own process (`nimbus-fhir serve`), never in the bench's: the
// load generator must not share an event loop or a heap with what it measures.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const MAIN = path.resolve(__dirname, '..', 'src', 'main.js');

export interface RunningServer {
  child: ChildProcess;
  baseUrl: string;
  /** From spawn to the ready banner, as a user starting the server would wait. */
  startupWallMs: number;
  /** What the server itself reports (from its first line of code to listening). */
  startupReportedMs: number;
  /** Peak resident set size so far (VmHWM), in bytes; undefined where /proc is missing. */
  peakRss(): number | undefined;
  stop(): Promise<void>;
}

export interface ServerSpawnOptions {
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof for profiling. */
  nodeArgs?: string[];
  timeoutMs?: number;
}

export function startServer(opts: ServerSpawnOptions): Promise<RunningServer> {
  const started = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), MAIN, 'serve'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', NIMBUS_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in time:\n${out.slice(-2000)}`));
    }, opts.timeoutMs ?? 60_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code ?? signal} before it was ready:\n${out.slice(-2000)}`));
    };
    child.once('exit', onExit);
    child.stderr!.on('data', (d: Buffer) => {
      // Keep only the tail: a warn-level log over a long run must not grow the bench's heap.
      out = (out + d.toString()).slice(-8000);
    });
    child.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
      const m = /ready at (http:\/\/\S+).*started in (\d+) ms/.exec(out);
      if (!m || ready) return;
      ready = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        child,
        baseUrl: m[1],
        startupWallMs: performance.now() - started,
        startupReportedMs: Number(m[2]),
        peakRss: () => peakRss(child.pid),
        stop: () => stop(child),
      });
    });
  });
}

function peakRss(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM (graceful: lets --cpu-prof write its profile), SIGKILL if it lingers. */
export function stop(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
