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
        log.error('shutdown failed', { error: err.message });
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
      log.error('cleanup step failed', { step: name, error: (err as Error).message });
    }
  }
}
