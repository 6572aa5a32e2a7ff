// The CLI's command table: each command lives in its own module under src/cli/.
import { serveCommand } from './serve';
import { generateCommand } from './generate';
import { importCommand } from './import';
import { exportCommand } from './export';
import { backupCommand, checkCommand, restoreCommand } from './data-safety';
import { clientsCommand } from './clients';
import { usersCommand } from './users';
import { authCommand } from './auth';
import { matchCommand } from './match';
import { packagesCommand } from './packages';
import { lookupTable } from '../lookup-table';

export interface Command {
  summary: string;
  /** Resolves to the exit code, or -1 for a long-running command that exits on its own. */
  run(args: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = lookupTable({
  serve: serveCommand,
  generate: generateCommand,
  import: importCommand,
  export: exportCommand,
  backup: backupCommand,
  restore: restoreCommand,
  check: checkCommand,
  clients: clientsCommand,
  users: usersCommand,
  auth: authCommand,
  match: matchCommand,
  packages: packagesCommand,
});
