// `nimbus-fhir packages install <package.tgz|folder|name@version>` stores a FHIR package's
// conformance resources in the database (see interactions/install-package.ts), where every server
// process over it picks them up; `nimbus-fhir packages list` shows what is installed.
import pino from 'pino';
import { ConfigError, loadConfig } from '../config';
import { listPackages } from '../interactions/install-package';
import { buildServer } from '../server';
import { DatabaseInUseError } from '../storage/sqlite/process-lock';
import type { Command } from './commands';
import { openSystemStore } from './system-store';

const USAGE = 'usage: nimbus-fhir packages install <package.tgz|folder|name@version> [server options]\n       nimbus-fhir packages list [server options]';

/** Own arguments first; everything else (`--flag value` pairs) goes to loadConfig. */
function split(args: string[]): { positional: string[]; rest: string[] } {
  const positional: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      rest.push(a);
      if (!a.includes('=') && args[i + 1] !== undefined && !args[i + 1].startsWith('--')) rest.push(args[++i]);
    } else positional.push(a);
  }
  return { positional, rest };
}

export const packagesCommand: Command = {
  summary: 'install a FHIR package (package.tgz, folder, name@version) or list installed ones',
  async run(args) {
    const { positional, rest } = split(args);
    const [sub, source, extra] = positional;
    if (sub === 'list' && !source) return list(rest);
    if (sub === 'install' && source && !extra) return install(source, rest);
    throw new ConfigError(USAGE);
  },
};

async function install(source: string, rest: string[]): Promise<number> {
  const config = loadConfig(process.env, rest);
  // This command installs the one package named; NIMBUS_PACKAGES is the server's start-up list.
  config.packages = [];
  let server;
  try {
    server = await buildServer(config, { logger: pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2)) });
  } catch (e) {
    if (e instanceof DatabaseInUseError) {
      throw new Error(`${e.message}\nOn SQLite one process owns the database: stop the server and run this again, or name the package in NIMBUS_PACKAGES so the server installs it when it starts.`);
    }
    throw e;
  }
  try {
    const r = await server.installPackage(source);
    process.stdout.write(`installed ${r.name}@${r.version}: ${r.written} resource(s) written, ${r.unchanged} unchanged, ${r.removed} removed\n`);
    if (r.tolerated) process.stdout.write(`note: ${r.tolerated} resource(s) hold codes outside a required R4 binding (codes newer than R4); stored as published\n`);
    for (const why of r.skipped) process.stdout.write(`note: not installed (cannot be indexed here): ${why}\n`);
    if (r.missingDependencies.length) process.stdout.write(`note: dependencies not installed: ${r.missingDependencies.join(', ')}\n`);
    return 0;
  } finally {
    await server.close();
  }
}

async function list(rest: string[]): Promise<number> {
  const config = loadConfig(process.env, rest);
  const store = await openSystemStore(config);
  try {
    const packages = await listPackages(store.system);
    if (!packages.length) process.stdout.write('no FHIR packages installed\n');
    for (const p of packages) process.stdout.write(`${p.name}@${p.version}\t${p.resources.length} resource(s)\tinstalled ${p.installed}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
