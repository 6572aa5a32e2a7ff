// `nimbus-fhir serve`: runs the server until SIGTERM/SIGINT, then shuts down gracefully: stop
// accepting, let in-flight requests finish, close the database.
import type { AddressInfo } from 'node:net';
import { checkListenSafety, loadConfig } from '../config';
import { buildServer } from '../server';
import { createHttpServer } from '../rest/http-limits';
import type { Command } from './commands';
import { loadDemoData, takeDemoFlag } from './demo';

const SHUTDOWN_GRACE_MS = 10_000;

export const serveCommand: Command = {
  summary: 'run the FHIR server (default command); --demo[=N] loads N generated patients (default 50) into an empty store first',
  async run(args) {
    const startedAt = performance.now();
    const { demo, rest } = takeDemoFlag(args);
    const config = loadConfig(process.env, rest);
    checkListenSafety(config);
    const server = await buildServer(config);
    if (demo) await loadDemoData(server, demo, (line) => process.stderr.write(`${line}\n`));
    const http = createHttpServer(server.app, config).listen(config.port, config.host);
    await new Promise<void>((resolve, reject) => {
      http.once('listening', resolve);
      http.once('error', reject);
    });
    const { port } = http.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const base = config.baseUrl || `http://${host}:${port}/fhir`;
    const where = server.engine.kind === 'sqlite' ? server.engine.location : server.engine.location;
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
      const force = setTimeout(() => {
        server.logger.warn('in-flight requests did not finish in time; closing connections');
        http.closeAllConnections();
      }, SHUTDOWN_GRACE_MS);
      force.unref();
      http.close(async () => {
        try {
          await server.close();
          server.logger.info('database closed; bye');
        } finally {
          process.exit(0);
        }
      });
      // Keep-alive connections become idle as their in-flight requests finish: close them as they do.
      http.closeIdleConnections();
      setInterval(() => http.closeIdleConnections(), 50).unref();
    };
    // Before the banner: a supervisor (or a test) may signal as soon as it reads it, and on a busy
    // machine this process can be descheduled right after the write; a signal arriving before the
    // handlers are installed kills it without a graceful shutdown (seen under load in tests).
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.stdout.write(
      `Nimbus FHIR R4 server ready at ${base} — engine ${server.engine.kind} (${where}) — started in ${Math.round(performance.now() - startedAt)} ms — console at ${base.replace(/\/fhir$/, '')}/console/\n`,
    );
    return -1;
  },
};
