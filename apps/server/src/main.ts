#!/usr/bin/env node
import { ConfigError, loadConfig } from './config.js';
import { ListenError } from './listen-error.js';
import { startServer } from './server.js';

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 30_000;
/**
 * A repeat of a signal within this window is the same request: Ctrl-C in a terminal reaches
 * both `npm start` (which passes it on) and this process.
 */
const REPEAT_WINDOW_MS = 1_000;

/** One line saying what to change when the port cannot be opened. */
function listenHint(err: ListenError): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `set PORT to another port (e.g. PORT=${err.port < 65_535 ? err.port + 1 : 3001} npm start)`;
    case 'EACCES':
      return 'set PORT to a port above 1023 (e.g. PORT=3000)';
    case 'EADDRNOTAVAIL':
      return 'set HOST to an address of this machine (127.0.0.1, or 0.0.0.0 for every interface)';
  }
}

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    // Relative paths (SPANE_NODES, SPANE_API_KEYS_FILE) resolve from the working directory;
    // `npm start` (scripts/start.sh) runs this in the directory npm was started from.
    config = loadConfig(process.env, process.cwd());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`spane server: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // With SPANE_AUTH=disabled the API plugin itself warns in the log.
  const server = await startServer(config);
  let firstSignalAt: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < REPEAT_WINDOW_MS) return;
      server.app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    server.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      server.app.log.error('shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ListenError) {
    process.stderr.write(`spane server: ${err.message}: ${listenHint(err)}\n`);
  } else {
    process.stderr.write(`spane server: failed to start: ${(err as Error).message ?? err}\n`);
  }
  process.exit(1);
});
