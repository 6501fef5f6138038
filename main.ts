/**
 * The one entry point of the image: `node dist/main.js coordinator|worker|gateway`.
 */
const component = process.argv[2];

async function main(): Promise<void> {
  switch (component) {
    case 'coordinator':
      return (await import('./coordinator/main.js')).runCoordinator();
    case 'worker':
      return (await import('./worker/main.js')).runWorker();
    case 'gateway':
      return (await import('./gateway/main.js')).runGateway();
    default:
      process.stderr.write('usage: node dist/main.js coordinator|worker|gateway\n');
      process.exit(2);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`error  ${component} failed to start: ${err.message}\n`);
  process.exit(1);
});
