/**
 * Process lifecycle shared by every entry point (main.ts, scripts/local-run.ts, the load bench): `main` owns the one
 * root AbortController. The first SIGTERM/SIGINT aborts it, with the signal's name as the reason: each component
 * drains and returns. A second signal exits at once (130).
 */
import type { Logger } from './logger.js';

/** Exit code after a second signal (128 + SIGINT), the shell's convention for "interrupted". */
export const SECOND_SIGNAL_EXIT_CODE = 130;

/**
 * Wires SIGTERM and SIGINT to `root`: the first aborts it, a second calls `onSecond` (by default: exit 130 at once).
 * Returns a function that removes the handlers.
 */
export function abortOnSignals(
  root: AbortController,
  onSecond: (signal: NodeJS.Signals) => void = () => process.exit(SECOND_SIGNAL_EXIT_CODE),
): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    if (root.signal.aborted) onSecond(signal);
    else root.abort(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}

/** Resolves when `signal` aborts (at once if it already has), after logging that the component is shutting down. */
export function shutdownRequested(signal: AbortSignal, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    const go = (): void => {
      log.info({ signal: typeof signal.reason === 'string' ? signal.reason : undefined }, 'shutting down');
      resolve();
    };
    if (signal.aborted) go();
    else signal.addEventListener('abort', go, { once: true });
  });
}

/** Runs each cleanup step even if an earlier one fails; reports the failures. */
export async function runCleanup(log: Logger, steps: readonly [string, () => unknown][]): Promise<void> {
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      log.error({ step: name, err }, 'cleanup step failed');
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
    log.error({ err: err instanceof Error ? err : new Error(String(err)) }, `${kind}: the process stops`);
    process.exit(1);
  };
  process.on('uncaughtException', onError('uncaught exception'));
  process.on('unhandledRejection', onError('unhandled promise rejection'));
}
