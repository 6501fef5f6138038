/**
 * CLI of the load benchmark:
 * `node dist/bench/load/load-bench.js --url http://127.0.0.1:8080 --duration 60 --out bench-out/load-x`.
 * The first SIGINT/SIGTERM stops the load, cancels in-flight calculations and still writes the files;
 * a second one exits at once. Exit code: 0 done, 2 invalid options, 130 stopped by a signal, 1 crash.
 */
import { pathToFileURL } from 'node:url';
import { ErrorCode, PigridError } from '../../shared/errors.js';
import { abortOnSignals } from '../../shared/lifecycle.js';
import { loadBenchHelp, parseLoadBenchArgs } from './options.js';
import { runLoadBench } from './run-load-bench.js';
import { formatTextSummary } from './text-report.js';

export { runLoadBench, type RunControls, type RunPhase } from './run-load-bench.js';
export { resolveLoadBenchOptions, parseLoadBenchArgs, type LoadBenchOptions, type ResolvedLoadBenchOptions } from './options.js';
export { LOAD_BENCH_CSV_COLUMNS, type SampleRow } from './csv.js';
export { LOAD_BENCH_ERROR_CODES } from './errors.js';
export type { LoadBenchSummary } from './summary.js';

/** Progress line at most every this many ms, so long runs don't flood stderr. */
const PROGRESS_EVERY_MS = 5000;

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseLoadBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof PigridError && err.code === ErrorCode.INVALID_CONFIG)) throw err;
    process.stderr.write(`${err.message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(loadBenchHelp());
    return 0;
  }
  // The root AbortController: the first signal stops the load (results are still written), a second exits at once.
  const controller = new AbortController();
  controller.signal.addEventListener('abort', () => {
    process.stderr.write('stopping: cancelling in-flight calculations and writing results (signal again to exit now)\n');
  });
  const removeSignalHandlers = abortOnSignals(controller);
  let lastProgressMs = 0;
  try {
    const summary = await runLoadBench(parsed.options, {
      signal: controller.signal,
      onPhase: (phase) => process.stderr.write(`[load-bench] ${phase}\n`),
      onRow: (row) => {
        const now = Date.now();
        if (now - lastProgressMs < PROGRESS_EVERY_MS) return;
        lastProgressMs = now;
        const ready = row.worker_pods_ready ?? row.workers_ready;
        process.stderr.write(
          `[load-bench] t=${row.t_s?.toFixed(1)}s submitted=${row.submitted} completed=${row.completed} ` +
            `in_flight=${row.in_flight} ready=${ready ?? '-'} hpa_desired=${row.hpa_desired_replicas ?? '-'}\n`,
        );
      },
    });
    process.stdout.write(formatTextSummary(summary));
    return summary.stoppedBy === 'aborted' ? 130 : 0;
  } finally {
    removeSignalHandlers();
  }
}

const invokedPath = process.argv[1];
if (invokedPath && import.meta.url === pathToFileURL(invokedPath).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`load-bench failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
