/**
 * The one entry point of the image: `node dist/main.js coordinator|worker|gateway`. It owns the root AbortController:
 * the first SIGTERM/SIGINT aborts it and the component drains and returns (exit 0), a second exits at once (130).
 */
import { EnvReader } from './shared/config.js';
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

// For what happens before (or outside) the component's own logger: a bad PIGRID_LOG_* falls back to the defaults
// here, and the component's config check reports it.
const log = createLogger(component ?? 'main', new EnvReader(process.env).logSettings());

const root = new AbortController();
abortOnSignals(root, (signal) => {
  log.warn({ signal }, 'second signal: exiting now');
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
      log.error({ err }, `${component} ${root.signal.aborted ? 'shutdown failed' : 'failed to start'}`);
      process.exit(1);
    },
  );
