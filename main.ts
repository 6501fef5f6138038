/**
 * The one entry point of the image: `node dist/main.js coordinator|worker|gateway`. It owns the root AbortController:
 * the first SIGTERM/SIGINT aborts it and the component drains and returns (exit 0), a second exits at once (130).
 */
import { abortOnSignals, SECOND_SIGNAL_EXIT_CODE } from './shared/lifecycle.js';
import { createLogger } from './shared/logger.js';

const component = process.argv[2];

/** A component runs until `shutdown` aborts, then stops gracefully and resolves. */
type Run = (shutdown: AbortSignal) => Promise<void>;

async function load(name: string | undefined): Promise<Run | undefined> {
  switch (name) {
    case 'coordinator':
      return (await import('./coordinator/main.js')).runCoordinator;
    case 'worker':
      return (await import('./worker/main.js')).runWorker;
    case 'gateway':
      return (await import('./gateway/main.js')).runGateway;
    default:
      return undefined;
  }
}

const root = new AbortController();
abortOnSignals(root, (signal) => {
  createLogger().warn('second signal: exiting now', { signal });
  process.exit(SECOND_SIGNAL_EXIT_CODE);
});

load(component)
  .then((run) => {
    if (!run) {
      process.stderr.write('usage: node dist/main.js coordinator|worker|gateway\n');
      process.exit(2);
    }
    return run(root.signal);
  })
  .then(
    () => process.exit(0),
    (err: Error) => {
      // Before the shutdown began the component never ran; after, its cleanup failed (each step logged its own error).
      process.stderr.write(`error  ${component} ${root.signal.aborted ? 'shutdown failed' : 'failed to start'}: ${err.message}\n`);
      process.exit(1);
    },
  );
