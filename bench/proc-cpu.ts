// CPU time a server process has used, from /proc (Linux): what a bench reports beside wall-clock
// rates, because on a shared machine the rate moves with the neighbours and the CPU time barely does.
import fs from 'node:fs';

export const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** utime + stime of a process, every thread included (the SQLite writer thread too), in ticks. */
export function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15 of stat)
}
