// The machine description printed above every table: figures mean little without it.
import fs from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  os: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    // availableParallelism honours cgroup/affinity limits that os.cpus() ignores.
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    ramGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${distribution() ?? os.type()} (${os.platform()} ${os.release()}, ${os.arch()})`,
  };
}

function distribution(): string | undefined {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m?.[1];
  } catch {
    return undefined;
  }
}

export function formatMachine(m: Machine): string {
  return `CPU ${m.cpu} · ${m.cores} cores · ${m.ramGiB} GiB RAM · Node ${m.node} · ${m.os}`;
}
