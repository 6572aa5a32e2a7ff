// `nimbus-fhir backup <file>`, `restore <file>` and `check`: the operator's data-safety commands.
// Backup and restore are SQLite's (storage/sqlite/backup.ts explains how backup runs beside a
// live server and why restore is atomic); MongoDB deployments use MongoDB's own tools (README,
// "Operations and reliability"). `check` runs on both engines (store-check.ts).
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config';
import { r4Definitions } from '../fhir/definitions';
import { createIndexer } from '../search/indexer';
import { createSearchRegistry } from '../search/registry';
import type { Engine } from '../storage/engine';
import { openEngine, SQLITE_FILE_NAME } from '../storage/open-engine';
import { backupSqlite, restoreSqlite } from '../storage/sqlite/backup';
import { SqliteEngine } from '../storage/sqlite/sqlite-engine';
import type { Command } from './commands';
import { Progress } from './progress';
import { checkStore } from './store-check';

const MONGODB_TOOLS =
  'the MongoDB engine is backed up and restored with MongoDB\'s own tools: mongodump --oplog / mongorestore --oplogReplay on a replica set, or filesystem snapshots (README, "Operations and reliability")';

/** Splits `<positional> [--flag value]… [server options]`: named flags are ours, the rest config. */
function parseArgs(args: string[], flags: string[], usage: string): { positional: string[]; values: Record<string, string>; rest: string[] } {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flags.includes(flag)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new ConfigError(`${flag} needs a value\n${usage}`);
      values[flag] = value;
    } else if (a.startsWith('--')) {
      rest.push(a);
      if (!a.includes('=') && args[i + 1] !== undefined && !args[i + 1].startsWith('--')) rest.push(args[++i]);
    } else positional.push(a);
  }
  return { positional, values, rest };
}

const sqliteFile = (config: Config) => path.join(config.dataDir, SQLITE_FILE_NAME);

const BACKUP_USAGE = 'usage: nimbus-fhir backup <file> [server options]';

export const backupCommand: Command = {
  summary: 'online snapshot of the SQLite database into <file>, while the server keeps serving',
  async run(args) {
    const { positional, rest } = parseArgs(args, [], BACKUP_USAGE);
    if (positional.length !== 1) throw new ConfigError(BACKUP_USAGE);
    const config = loadConfig(process.env, rest);
    if (config.engine !== 'sqlite') throw new ConfigError(`backup: ${MONGODB_TOOLS}`);
    const started = performance.now();
    const result = await backupSqlite(sqliteFile(config), path.resolve(positional[0]));
    process.stdout.write(`backup of ${sqliteFile(config)} written to ${result.file}: ${result.pages} pages, ${result.bytes} bytes in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};

const RESTORE_USAGE = 'usage: nimbus-fhir restore <file> [server options]   (the server must be stopped)';

export const restoreCommand: Command = {
  summary: 'replace the SQLite database by a backup, atomically (server stopped)',
  async run(args) {
    const { positional, rest } = parseArgs(args, [], RESTORE_USAGE);
    if (positional.length !== 1) throw new ConfigError(RESTORE_USAGE);
    const config = loadConfig(process.env, rest);
    if (config.engine !== 'sqlite') throw new ConfigError(`restore: ${MONGODB_TOOLS}`);
    const result = restoreSqlite(path.resolve(positional[0]), sqliteFile(config));
    process.stdout.write(
      `restored ${positional[0]} into ${sqliteFile(config)}: ${result.resources} resources` +
        (result.previous ? `; the previous database is kept as ${result.previous} (delete it once the restored one is verified)` : '') +
        '\n',
    );
    return 0;
  },
};

const CHECK_USAGE = 'usage: nimbus-fhir check [--types Patient,Observation] [--file <SQLite database or backup>] [server options]';

export const checkCommand: Command = {
  summary: 'verify the store: integrity, index values against the resources, history (--types, --file)',
  async run(args) {
    const { positional, values, rest } = parseArgs(args, ['--types', '--file'], CHECK_USAGE);
    if (positional.length) throw new ConfigError(CHECK_USAGE);
    const config = loadConfig(process.env, rest);
    const definitions = r4Definitions();
    const types = values['--types']?.split(',').map((t) => t.trim()).filter(Boolean) ?? definitions.resourceTypes;
    const unknown = types.filter((t) => !definitions.isResourceType(t));
    if (unknown.length) throw new ConfigError(`--types: not R4 resource types: ${unknown.join(', ')}`);
    // A backup file is checked in place of the data directory's database (a server may be
    // running on that one: SQLite serves one process per database).
    const engine: Engine = values['--file'] ? new SqliteEngine({ file: path.resolve(values['--file']) }) : await openEngine(config);
    const indexer = createIndexer(createSearchRegistry({ profilesDir: config.profilesDir }), { baseUrl: config.baseUrl || undefined });
    const progress = new Progress(process.stderr, 'check');
    let report;
    try {
      report = await checkStore(engine, { resourceTypes: types, indexer, onProgress: (done) => progress.update({ done }) });
    } finally {
      progress.finish({ done: report?.resources ?? 0 });
      await engine.close();
    }
    const out = [`check of ${engine.location}: ${report.resources} resources in ${types.length} types`, ...report.notes.map((n) => `  ${n}`)];
    if (report.problemCount === 0) out.push('no problems found');
    else {
      out.push(`${report.problemCount} problem${report.problemCount === 1 ? '' : 's'} found:`, ...report.problems.map((p) => `  - ${p}`));
      if (report.problemCount > report.problems.length) out.push(`  … and ${report.problemCount - report.problems.length} more`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
    return report.problemCount ? 1 : 0;
  },
};
