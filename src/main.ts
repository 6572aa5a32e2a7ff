#!/usr/bin/env node
// The one entry point: `nimbus-fhir <command> [options]`. Commands: serve (default), generate,
// import, export, backup, restore, check. Settings come from environment variables and matching --flags (src/config.ts).
import { ConfigError, SETTINGS_HELP } from './config';
import { COMMANDS } from './cli/commands';

const USAGE = `usage: nimbus-fhir <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

server options (flag, environment variable):
${SETTINGS_HELP}
`;

async function main(argv: string[]): Promise<number> {
  const [name = 'serve', ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`nimbus-fhir: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`nimbus-fhir: ${e.message}\n`);
      return 2;
    }
    // Start-up failures (database unreachable, broken fhir-profiles file…) carry a message meant
    // for the operator; the stack only helps when debugging.
    const debug = process.env.NIMBUS_LOG_LEVEL === 'debug' || process.env.NIMBUS_LOG_LEVEL === 'trace';
    process.stderr.write(`nimbus-fhir ${name}: ${debug ? ((e as Error).stack ?? String(e)) : e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`${String(e)}\n`);
    process.exitCode = 1;
  },
);
