#!/usr/bin/env node
/**
 * The `pigrid` executable (package.json `bin`): `npx pigrid --help` in the clone after `npm run build`.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv);
// stdout is synchronous for files and pipes on Linux and flushed for a TTY by the callback; exit even if an idle
// keep-alive socket of fetch would hold the event loop for a few more seconds.
process.stdout.write('', () => process.exit(code));
