/**
 * Starts real pigrid processes (the built dist/main.js) for integration tests: each on loopback with port 0, its
 * bound ports read from its "ready" log line, its output kept for assertions and failure reports. The processes log
 * JSON lines; `lines` holds each as canonical `level msg key=value` text (harness/log-lines.ts) and `records` the
 * parsed objects.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { appRoot } from '../shared/paths.js';
import { parseLogLine, renderLogRecord, stringFields, type LogRecord } from './log-lines.js';
import { componentTlsEnv } from './tls.js';

const ROOT = appRoot();
const MAIN = join(ROOT, 'dist', 'main.js');

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every output line, a log line as `level msg key=value …` text (what `waitFor` matches). */
  readonly lines: string[];
  /** The parsed log lines, in order (output that is no log line is left out). */
  readonly records: LogRecord[];
  /** Fields of the ready line, e.g. grpc=127.0.0.1:4321. */
  readonly ready: Record<string, string>;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** Waits for a log line matching `re` (already seen or future). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<Proc>();

/** How a process is started and what is done with its output; the defaults are what tests see. */
export interface SpawnOptions {
  /**
   * Its own session (setsid), hence its own scheduler autogroup on Linux, so its CPU priority can be lowered apart
   * from the process that started it (a benchmark's background worker). It is killed by `stopAll` all the same.
   * @default false
   */
  readonly ownSession?: boolean;
  /**
   * `drain-after-ready`: once the ready line is seen, stdout is read and thrown away unparsed (a pipe drained, as a
   * container runtime drains it), so a process that logs a line per request does not make this process parse and
   * render every line; `lines` and `records` then hold the output up to the ready line and stderr.
   * @default 'parse'
   */
  readonly stdout?: 'parse' | 'drain-after-ready';
}

/**
 * Starts a component. It runs with mutual TLS and a certificate of the test CA for its role (a worker's names its
 * PIGRID_WORKER_ID) unless `env` sets PIGRID_INSECURE or its own PIGRID_TLS_* files.
 */
export async function startProcess(
  name: string,
  component: 'coordinator' | 'worker' | 'gateway',
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
  /** Lines kept in `lines` and `records` (the oldest go first): a process that logs every request would fill the test's memory. */
  maxLines = Infinity,
  /** Extra node options before the script, e.g. `--cpu-prof` for a benchmark's profile. */
  nodeArgs: readonly string[] = [],
  /** The build to run (its dist/main.js), e.g. another checkout's for a before/after benchmark. @default this one */
  main = MAIN,
  spawnOptions: SpawnOptions = {},
): Promise<Proc> {
  const tls =
    env.PIGRID_INSECURE !== undefined || env.PIGRID_TLS_CERT !== undefined
      ? {}
      : await componentTlsEnv(component, env.PIGRID_WORKER_ID ?? name);
  const child = spawn(process.execPath, [...nodeArgs, main, component], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PIGRID_HOST: '127.0.0.1',
      PIGRID_METRICS_PORT: '-1',
      PIGRID_LOG_LEVEL: 'info',
      PIGRID_LOG_FORMAT: 'json',
      ...tls,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: spawnOptions.ownSession === true,
  });
  const lines: string[] = [];
  const records: LogRecord[] = [];
  let readyRecord: LogRecord | undefined;
  const watchers = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  for (const stream of [child.stdout, child.stderr]) {
    const reader = createInterface({ input: stream });
    reader.on('line', (raw) => {
      const rec = parseLogLine(raw);
      const line = rec ? renderLogRecord(rec) : raw;
      if (rec) records.push(rec);
      if (rec && !readyRecord && / ready$/.test(rec.msg)) readyRecord = rec;
      lines.push(line);
      if (lines.length > 2 * maxLines) lines.splice(0, lines.length - maxLines);
      if (records.length > 2 * maxLines) records.splice(0, records.length - maxLines);
      if (process.env.PIGRID_TEST_LOGS) process.stderr.write(`[${name}] ${line}\n`);
      for (const w of [...watchers])
        if (w.re.test(line)) {
          watchers.delete(w);
          w.resolve(line);
        }
      if (readyRecord && stream === child.stdout && spawnOptions.stdout === 'drain-after-ready') {
        // readline has the rest of the chunk it split: it goes with the pipe's later output.
        reader.removeAllListeners('line');
        reader.close();
        stream.on('data', () => {});
        stream.resume();
      }
    });
  }
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const waitFor = (re: RegExp, timeoutMs = 20_000) => {
    const seen = lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const w = {
        re,
        resolve: (l: string) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      const t = setTimeout(() => {
        watchers.delete(w);
        reject(new Error(`${name}: no log line matching ${re} within ${timeoutMs} ms; output:\n${lines.slice(-30).join('\n')}`));
      }, timeoutMs);
      watchers.add(w);
      void exited.then((code) => {
        if (watchers.delete(w)) {
          clearTimeout(t);
          reject(new Error(`${name} exited (${code}) before logging ${re}; output:\n${lines.slice(-30).join('\n')}`));
        }
      });
    });
  };
  const proc: Proc = {
    name,
    child,
    lines,
    records,
    ready: {},
    exited,
    waitFor,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  await waitFor(/^info +\w+ ready( |$)/, readyTimeoutMs);
  Object.assign(proc.ready, readyRecord ? stringFields(readyRecord) : {});
  return proc;
}

/** Kills every process still running (afterEach/afterAll). */
export async function stopAll(): Promise<void> {
  const procs = [...running];
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'pigrid-test-')), 'pigrid.db');
}

export function portOf(addr: string): number {
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}
