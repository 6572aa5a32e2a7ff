// `nimbus-fhir users add|list|remove`: the people who sign in on the login page of `smart` mode.
// The password comes from a prompt (not echoed) or, when stdin is not a terminal, from stdin.
import { ROLES, UserError, UserStore } from '../auth/users';
import { ConfigError, loadConfig } from '../config';
import { required, takeFlags } from './args';
import type { Command } from './commands';
import { openSystemStore } from './system-store';

const USAGE =
  `nimbus-fhir users add --username U --fhir-user Practitioner/123 --role ${ROLES.join('|')}   (password from the prompt or stdin)\n` +
  '       nimbus-fhir users list\n' +
  '       nimbus-fhir users remove --username U';

export const usersCommand: Command = {
  summary: 'add, list or remove users of the login page (add|list|remove)',
  async run(args) {
    const [action, ...rest] = args;
    const flags = takeFlags(rest, { values: ['username', 'fhir-user', 'role'] });
    const config = loadConfig(process.env, flags.rest);
    if (action !== 'add' && action !== 'list' && action !== 'remove') throw new ConfigError(`usage: ${USAGE}`);
    const username = action === 'list' ? '' : required(flags, 'username', USAGE);
    const fhirUser = action === 'add' ? required(flags, 'fhir-user', USAGE) : '';
    const role = action === 'add' ? required(flags, 'role', USAGE) : '';
    // Read before opening the database, so a prompt never holds it.
    const password = action === 'add' ? await readPassword() : '';
    const store = await openSystemStore(config);
    try {
      const users = new UserStore(store.system);
      if (action === 'list') {
        for (const u of await users.list()) process.stdout.write(`${u.username}\t${u.role}\t${u.fhirUser}\n`);
        return 0;
      }
      if (action === 'remove') {
        if (await users.remove(username)) return 0;
        process.stderr.write(`nimbus-fhir users: no user '${username}'\n`);
        return 1;
      }
      try {
        if (!(await users.add({ username, fhirUser, role, password }))) {
          process.stderr.write(`nimbus-fhir users: a user '${username}' exists already (remove it first)\n`);
          return 1;
        }
      } catch (e) {
        if (e instanceof UserError) throw new ConfigError(e.message);
        throw e;
      }
      process.stdout.write(`user ${username} added\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  process.stderr.write('password: ');
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          reject(new Error('cancelled'));
          return;
        }
        if (ch === '\u007f') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}
