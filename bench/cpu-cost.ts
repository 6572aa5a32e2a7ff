// CPU cost per request of a server process, for comparing two builds on a busy machine: wall-clock
// throughput moves with whatever else runs, but the CPU time the server spends per request (its
// utime + stime from /proc) barely does. Runs each workload as sequential keep-alive requests
// against a server started on a copy of a loaded data directory, and prints µs of server CPU per
// request. Usage:
//   node dist/bench/cpu-cost.js --data-dir <dir holding nimbus.sqlite> [--main <dist/src/main.js of the build>]
//        [--requests 2000] [--rounds 3] [--only <text in a workload id>]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { cpuTicks, TICK_US } from './proc-cpu';
import { stop } from './server-process';

interface Workload {
  id: string;
  paths: string[];
}


async function startOn(main: string, dataDir: string): Promise<{ pid: number; baseUrl: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [main, 'serve'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', NIMBUS_LOG_LEVEL: 'warn', NIMBUS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out.slice(-1000)}`)));
  });
  return { pid: child.pid!, baseUrl, stop: () => stop(child) };
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+json' } });
  return { status: res.status, body: await res.text() };
}

async function workloads(baseUrl: string): Promise<Workload[]> {
  const patients = (JSON.parse((await get(`${baseUrl}/Patient?_count=200&_elements=id`)).body) as { entry?: Array<{ resource: { id: string } }> }).entry?.map((e) => e.resource.id) ?? [];
  const obs = JSON.parse((await get(`${baseUrl}/Observation?_count=50`)).body) as { entry?: Array<{ resource: { code?: { coding?: Array<{ system?: string; code?: string }> } } }> };
  const codes = [...new Set((obs.entry ?? []).map((e) => e.resource.code?.coding?.[0]).filter((c) => c?.code).map((c) => `${c!.system}|${c!.code}`))].slice(0, 5);
  const base = new URL(baseUrl).pathname;
  return [
    { id: 'read by id', paths: patients.map((id) => `${base}/Patient/${id}`) },
    { id: 'search Observation?code=&patient=', paths: patients.slice(0, 50).flatMap((id) => codes.map((c) => `${base}/Observation?code=${encodeURIComponent(c)}&patient=${id}`)) },
    { id: 'search Observation?code= first page', paths: codes.map((c) => `${base}/Observation?code=${encodeURIComponent(c)}`) },
    { id: 'search chained patient.gender', paths: codes.map((c) => `${base}/Observation?code=${encodeURIComponent(c)}&patient.gender=female`) },
    { id: 'search _include', paths: codes.map((c) => `${base}/Observation?code=${encodeURIComponent(c)}&_include=Observation:patient`) },
    { id: 'Patient/{id}/$meta', paths: patients.map((id) => `${base}/Patient/${id}/$meta`) },
  ];
}

async function measure(origin: string, pid: number, w: Workload, requests: number): Promise<number | undefined> {
  const first = await get(`${origin}${w.paths[0]}`);
  if (first.status !== 200) return undefined;
  for (let i = 0; i < Math.min(200, requests); i++) await get(`${origin}${w.paths[i % w.paths.length]}`); // warm-up
  const before = cpuTicks(pid);
  for (let i = 0; i < requests; i++) await get(`${origin}${w.paths[i % w.paths.length]}`);
  return ((cpuTicks(pid) - before) * TICK_US) / requests;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, main: { type: 'string' }, requests: { type: 'string' }, rounds: { type: 'string' }, only: { type: 'string' } } });
  if (!values['data-dir']) throw new Error('--data-dir <dir holding nimbus.sqlite> is required');
  const main = path.resolve(values.main ?? path.join(__dirname, '..', 'src', 'main.js'));
  const requests = Number(values.requests ?? 2000);
  const rounds = Number(values.rounds ?? 3);
  // A copy: a newer build migrates the file, and an older one then refuses it.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-cpu-'));
  for (const f of fs.readdirSync(values['data-dir'])) if (f.startsWith('nimbus.sqlite')) fs.copyFileSync(path.join(values['data-dir'], f), path.join(copy, f));
  const server = await startOn(main, copy);
  try {
    const origin = new URL(server.baseUrl).origin;
    const only = values.only;
    const list = (await workloads(server.baseUrl)).filter((w) => only === undefined || w.id.includes(only));
    const results = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const w of list) {
        const us = await measure(origin, server.pid, w, requests);
        if (us !== undefined) results.set(w.id, [...(results.get(w.id) ?? []), us]);
      }
    }
    process.stdout.write(`build: ${main}\n`);
    for (const w of list) {
      const all = results.get(w.id);
      if (!all) {
        process.stdout.write(`${w.id.padEnd(40)} n/a\n`);
        continue;
      }
      const sorted = [...all].sort((a, b) => a - b);
      process.stdout.write(`${w.id.padEnd(40)} ${sorted[Math.floor(sorted.length / 2)].toFixed(0).padStart(6)} µs CPU/request (rounds: ${all.map((x) => x.toFixed(0)).join(', ')})\n`);
    }
  } finally {
    await server.stop();
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
});
