/**
 * Process lifecycle shared by every component: the first SIGTERM/SIGINT starts a graceful shutdown, a second one
 * exits at once. `main` owns the one root AbortController.
 */
import type { Logger } from './logger.js';

export function onShutdownSignals(log: Logger, graceful: (signal: string) => Promise<void>): AbortController {
  const root = new AbortController();
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count > 1) {
      log.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
    log.info('shutting down', { signal });
    root.abort();
    graceful(signal).then(
      () => process.exit(0),
      (err: Error) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return root;
}

/** Runs each cleanup step even if an earlier one fails; reports the failures. */
export async function runCleanup(log: Logger, steps: readonly [string, () => unknown][]): Promise<void> {
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      log.error('cleanup step failed', { step: name, err });
    }
  }
}

/**
 * Last resort for an error nothing caught (a throw in an event handler or timer, a rejected promise nobody awaits):
 * log it at error with its stack, in the log's own format, and exit 1 instead of Node's raw stack dump. Errors that
 * `alreadyReported` accepts are dropped: they were logged where they arose and the process is already stopping.
 */
export function exitOnUncaughtErrors(log: Logger, alreadyReported: (err: unknown) => boolean = () => false): void {
  const onError = (kind: string) => (err: unknown) => {
    if (alreadyReported(err)) return;
    log.error(`${kind}: the process stops`, { err: err instanceof Error ? err : new Error(String(err)) });
    process.exit(1);
  };
  process.on('uncaughtException', onError('uncaught exception'));
  process.on('unhandledRejection', onError('unhandled promise rejection'));
}
