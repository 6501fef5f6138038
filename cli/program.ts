/**
 * `pigrid`: the command-line client of a pigrid gateway (README "Command line").
 *
 *   pigrid calc --points 1e10 [--mode distributed|single] [--seed 42] [--chunk-size 2e9] [--watch]
 *   pigrid get|cancel|watch <id>      pigrid list      pigrid workers
 *   pigrid local status|scale <n>     (a local run started with npm start)
 *
 * Every command takes --json (one JSON document on stdout, for scripts) and --url (or PIGRID_URL). Exit codes:
 * cli/exit-codes.ts.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, ExitCode } from './exit-codes.js';
import { calculationLines, listTable, resultLines, workersText } from './format.js';
import { GatewayClient, type CalculationJson, type SubmitBody } from './gateway-client.js';
import { controlRequest, DEFAULT_CONTROL, runnerStatusText, waitForScale, type RunnerStatus } from './local-client.js';
import { progressView } from './progress.js';

interface GlobalOptions {
  url: string;
  json?: boolean;
  timeout: number;
}

/** A whole number given as 10000000000, 10_000_000_000 or 1e10. */
export function parseCount(value: string): number {
  const text = value.trim().replace(/_/g, '');
  const n = /^\d+$/.test(text) || /^\d+(\.\d+)?e\d+$/i.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number such as 1000000, 1_000_000 or 1e6');
  return n;
}

const write = (text: string): boolean => process.stdout.write(text.endsWith('\n') ? text : text + '\n');
const json = (value: unknown): void => void write(JSON.stringify(value, null, 2));

function client(opts: GlobalOptions): GatewayClient {
  return new GatewayClient(opts.url, opts.timeout);
}

/** Follows a calculation to its end with a progress view; exit 0 when it completed, 1 otherwise. */
async function follow(gw: GatewayClient, id: string, opts: GlobalOptions): Promise<number> {
  const view = progressView(opts.json ? 'none' : process.stderr.isTTY ? 'bar' : 'lines');
  const onSigint = () => {
    view.stop();
    process.stderr.write(`\nstopped watching ${id}; it keeps running (pigrid cancel ${id} stops it)\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  let final: CalculationJson;
  try {
    final = await gw.follow(id, (c) => view.update(c));
  } finally {
    view.stop();
    process.off('SIGINT', onSigint);
  }
  if (opts.json) json(final);
  else write(resultLines(final).join('\n'));
  return final.status === 'completed' ? ExitCode.OK : ExitCode.CALCULATION_NOT_COMPLETED;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('pigrid')
    .description('Command-line client of a pigrid gateway: submit, watch, list and cancel Monte Carlo π calculations.')
    .addOption(new Option('--url <url>', 'the gateway').env('PIGRID_URL').default('http://127.0.0.1:8080'))
    .option('--json', 'print one JSON document on stdout (for scripts); no progress output')
    .addOption(new Option('--timeout <ms>', 'deadline of each request to the gateway').argParser(parseCount).default(10_000))
    .showHelpAfterError('(pigrid --help lists the commands)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Exit codes: 0 done (a watched calculation completed), 1 a watched calculation failed or was cancelled,
2 bad command line, 3 gateway unreachable, 4 the gateway refused (invalid input, unknown id), 5 server error.

Examples:
  pigrid calc --points 1e10 --seed 42 --watch
  pigrid calc --points 1e9 --json | jq -r .id
  PIGRID_URL=http://gateway.example:8080 pigrid workers
  pigrid local scale 4      (a local run: npm start)`,
  );
  const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command('calc')
    .description('submit a calculation; --watch follows it to the result with a progress bar')
    .requiredOption('--points <n>', 'number of random points, e.g. 1e10', parseCount)
    .addOption(new Option('--mode <mode>', 'where it runs (server default: distributed)').choices(['distributed', 'single']))
    .option('--seed <n>', 'seed of the random stream (server picks one when omitted)', parseCount)
    .option('--chunk-size <n>', 'points per chunk (server default when omitted)', parseCount)
    .option('-w, --watch', 'follow the calculation to its end and print π ± σ')
    .action(async (o: { points: number; mode?: SubmitBody['mode']; seed?: number; chunkSize?: number; watch?: boolean }, cmd: Command) => {
      const opts = globals(cmd);
      const gw = client(opts);
      const body: SubmitBody = { points: o.points };
      if (o.mode) body.mode = o.mode;
      if (o.seed !== undefined) body.seed = o.seed;
      if (o.chunkSize !== undefined) body.chunk_size = o.chunkSize;
      const created = await gw.submit(body);
      if (!o.watch) {
        if (opts.json) json(created);
        else write([...calculationLines(created), `follow it: pigrid watch ${created.id}`].join('\n'));
        return;
      }
      if (!opts.json)
        process.stderr.write(
          `${created.id}: ${created.mode}, ${created.points.toLocaleString('en-US')} points, seed ${created.seed}, ${created.chunk_count.toLocaleString('en-US')} chunks\n`,
        );
      setExit(await follow(gw, created.id, opts));
    });

  program
    .command('watch')
    .argument('<id>', 'calculation id')
    .description('follow a calculation (live, Server-Sent Events) to its end and print π ± σ')
    .action(async (id: string, _o: object, cmd: Command) => {
      const opts = globals(cmd);
      setExit(await follow(client(opts), id, opts));
    });

  program
    .command('get')
    .argument('<id>', 'calculation id')
    .description('show one calculation')
    .action(async (id: string, _o: object, cmd: Command) => {
      const opts = globals(cmd);
      const c = await client(opts).get(id);
      if (opts.json) json(c);
      else write(calculationLines(c).join('\n'));
    });

  program
    .command('list')
    .description('list calculations, newest first')
    .option('--page-size <n>', 'calculations per page (1..500; server default 50)', parseCount)
    .option('--page-token <token>', 'next_page_token of the previous page')
    .action(async (o: { pageSize?: number; pageToken?: string }, cmd: Command) => {
      const opts = globals(cmd);
      const page = await client(opts).list(o.pageSize, o.pageToken);
      if (opts.json) {
        json(page);
        return;
      }
      write(listTable(page.calculations));
      if (page.next_page_token)
        write(`more: pigrid list --page-token ${page.next_page_token}${o.pageSize ? ` --page-size ${o.pageSize}` : ''}`);
    });

  program
    .command('cancel')
    .argument('<id>', 'calculation id')
    .description('cancel a queued or running calculation (it keeps its partial progress)')
    .action(async (id: string, _o: object, cmd: Command) => {
      const opts = globals(cmd);
      const c = await client(opts).cancel(id);
      if (opts.json) json(c);
      else write(calculationLines(c).join('\n'));
    });

  program
    .command('workers')
    .description('the cluster: workers, leases, backlog, quarantined workers; HPAs and pods in Kubernetes')
    .action(async (_o: object, cmd: Command) => {
      const opts = globals(cmd);
      const s = await client(opts).status();
      if (opts.json) json(s);
      else write(workersText(s));
      if ('error' in s.coordinator && s.coordinator.error) setExit(ExitCode.SERVER_ERROR);
    });

  const local = program
    .command('local')
    .description('control a local run (npm start): list its processes, add or remove workers')
    .addOption(new Option('--control <path>', "the local run's control socket").env('PIGRID_LOCAL_CONTROL').default(DEFAULT_CONTROL));
  local
    .command('status')
    .description('the processes of the local run, their state and restarts')
    .action(async (_o: object, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { control: string }>();
      const s = await controlRequest<RunnerStatus>(opts.control, 'GET', '/v1/status');
      if (opts.json) json(s);
      else write(runnerStatusText(s));
    });
  local
    .command('scale')
    .argument('<workers>', 'number of workers wanted', parseCount)
    .description('add workers, or drain and remove the highest-numbered ones')
    .option('--wait', 'return once exactly that many workers are ready and the removed ones have exited')
    .option('--wait-timeout <ms>', 'how long --wait waits', parseCount, 60_000)
    .action(async (n: number, o: { wait?: boolean; waitTimeout: number }, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions & { control: string }>();
      let s = await controlRequest<RunnerStatus>(opts.control, 'POST', '/v1/scale', { workers: n });
      if (o.wait) s = await waitForScale(opts.control, n, o.waitTimeout);
      if (opts.json) json(s);
      else write(runnerStatusText(s));
    });

  return program;
}

/** Runs the CLI on `argv` (process.argv shape) and returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.OK;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message (or the help) already.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`pigrid: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`pigrid: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 70;
  }
}
