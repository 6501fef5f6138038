/**
 * Options of the load benchmark: one table of flags, parsed and validated once, every problem reported
 * in a single INVALID_CONFIG {@link PigridError}; the result is frozen.
 */
import { ErrorCode, invalidConfig, PigridError } from '../../shared/errors.js';

/** One broken rule, naming the CLI flag: `--duration: must be ...`. */
const problem = (flag: string, rule: string): string => `${flag}: ${rule}`;

/** How the load is offered. */
export type LoadMode = 'distributed' | 'single';

/** User-facing options; all optional. Units are in the names. */
export interface LoadBenchOptions {
  /** Base URL of the gateway. Must be loopback unless `allowRemote`. @default "http://127.0.0.1:8080" */
  url?: string;
  /** Seconds of load (submissions stop after it). 1..3600. @default 60 s */
  durationS?: number;
  /** Open loop: submissions per second, regardless of completions. Exclusive with `concurrency`. */
  ratePerS?: number | null;
  /** Closed loop: calculations kept in flight. @default 4 when `ratePerS` is not given */
  concurrency?: number | null;
  /** Points per calculation. @default 2e9 */
  points?: number;
  /** Calculation mode. @default "distributed" */
  mode?: LoadMode;
  /** Chunk size sent with each calculation; omitted from the request when unset. */
  chunkSize?: number | null;
  /** One CSV row (and one cluster probe) per interval; in-flight calculations are polled as often. @default 1000 ms */
  sampleIntervalMs?: number;
  /** Status GETs of in-flight calculations running at once. @default 16 */
  pollConcurrency?: number;
  /** Timeout of submit, poll and cancel requests. @default 10000 ms */
  requestTimeoutMs?: number;
  /** Hard cap on calculations submitted. @default 10000 */
  maxRequests?: number;
  /** Seconds to wait for in-flight calculations after the load; the rest are cancelled. @default 60 s */
  drainTimeoutS?: number;
  /** Seconds to keep sampling after the drain, to see the HPA scale down (its default window is 300 s). @default 0 s */
  cooldownS?: number;
  /** Output directory. @default "bench-out/load-<UTC timestamp>" */
  outDir?: string;
  /** Allow a non-loopback `url`. @default false */
  allowRemote?: boolean;
}

/** Options with every field resolved; frozen. Exactly one of `ratePerS` / `concurrency` is non-null. */
export interface ResolvedLoadBenchOptions {
  readonly url: string;
  readonly durationS: number;
  readonly ratePerS: number | null;
  readonly concurrency: number | null;
  readonly points: number;
  readonly mode: LoadMode;
  readonly chunkSize: number | null;
  readonly sampleIntervalMs: number;
  readonly pollConcurrency: number;
  readonly requestTimeoutMs: number;
  readonly maxRequests: number;
  readonly drainTimeoutS: number;
  readonly cooldownS: number;
  readonly outDir: string;
  readonly allowRemote: boolean;
}

type NumericKey =
  | 'durationS'
  | 'ratePerS'
  | 'concurrency'
  | 'points'
  | 'chunkSize'
  | 'sampleIntervalMs'
  | 'pollConcurrency'
  | 'requestTimeoutMs'
  | 'maxRequests'
  | 'drainTimeoutS'
  | 'cooldownS';
interface NumericSpec {
  flag: string;
  min: number;
  max: number;
  integer: boolean;
  default: number | null;
  help: string;
}

const NUMERIC: Record<NumericKey, NumericSpec> = {
  durationS: { flag: '--duration', min: 1, max: 3600, integer: false, default: 60, help: 'seconds of load' },
  ratePerS: { flag: '--rate', min: 0.01, max: 1000, integer: false, default: null, help: 'open loop: submissions per second' },
  concurrency: {
    flag: '--concurrency',
    min: 1,
    max: 1000,
    integer: true,
    default: 4,
    help: 'closed loop: calculations kept in flight (default when --rate is absent)',
  },
  points: { flag: '--points', min: 1, max: Number.MAX_SAFE_INTEGER, integer: true, default: 2e9, help: 'points per calculation' },
  chunkSize: {
    flag: '--chunk-size',
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
    default: null,
    help: 'chunk_size sent with each calculation',
  },
  sampleIntervalMs: {
    flag: '--sample-interval-ms',
    min: 100,
    max: 60_000,
    integer: true,
    default: 1000,
    help: 'CSV row, cluster probe and status poll interval',
  },
  pollConcurrency: {
    flag: '--poll-concurrency',
    min: 1,
    max: 256,
    integer: true,
    default: 16,
    help: 'status GETs of in-flight calculations at once',
  },
  requestTimeoutMs: {
    flag: '--request-timeout-ms',
    min: 100,
    max: 120_000,
    integer: true,
    default: 10_000,
    help: 'timeout of submit/poll/cancel requests',
  },
  maxRequests: {
    flag: '--max-requests',
    min: 1,
    max: 1_000_000,
    integer: true,
    default: 10_000,
    help: 'hard cap on calculations submitted',
  },
  drainTimeoutS: {
    flag: '--drain-timeout',
    min: 0,
    max: 3600,
    integer: false,
    default: 60,
    help: 'seconds to wait for in-flight calculations, then cancel them',
  },
  cooldownS: {
    flag: '--cooldown',
    min: 0,
    max: 3600,
    integer: false,
    default: 0,
    help: 'seconds to keep sampling after the drain (HPA scale-down)',
  },
};

const DEFAULT_URL = 'http://127.0.0.1:8080';
const MODES: readonly LoadMode[] = ['distributed', 'single'];

/** Default output directory for a run started at `now`: `bench-out/load-20250101T120000Z`. */
export function defaultOutDir(now: Date): string {
  return `bench-out/load-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/** True for `localhost`, `127.0.0.0/8` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Validates `input` and fills in defaults. Accepts a resolved object too (it is a valid input).
 * @throws PigridError INVALID_CONFIG listing every problem, each naming the flag and the rule.
 */
export function resolveLoadBenchOptions(input: LoadBenchOptions = {}, now: Date = new Date()): ResolvedLoadBenchOptions {
  const problems: string[] = [];
  const numbers = {} as Record<NumericKey, number | null>;
  for (const key of Object.keys(NUMERIC) as NumericKey[]) {
    const spec = NUMERIC[key];
    const raw = input[key];
    if (raw === undefined || raw === null) {
      numbers[key] = null;
      continue;
    }
    const kind = spec.integer ? 'an integer' : 'a number';
    if (typeof raw !== 'number' || !Number.isFinite(raw) || (spec.integer && !Number.isInteger(raw)) || raw < spec.min || raw > spec.max) {
      problems.push(problem(spec.flag, `must be ${kind} from ${spec.min} to ${spec.max}, got ${JSON.stringify(raw)}`));
      numbers[key] = null;
    } else numbers[key] = raw;
  }
  const bothLoops = input.ratePerS != null && input.concurrency != null;
  if (bothLoops) problems.push(problem('--rate/--concurrency', 'give either an open-loop rate or a closed-loop concurrency, not both'));

  const url = input.url ?? DEFAULT_URL;
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(problem('--url', `must be an absolute http(s) URL, got ${JSON.stringify(url)}`));
  }
  if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    problems.push(problem('--url', `must use http or https, got ${parsed.protocol}`));
  } else if (parsed && !input.allowRemote && !isLoopbackHost(parsed.hostname)) {
    problems.push(
      problem('--url', `must be a loopback host (localhost, 127.x.x.x, ::1) unless --allow-remote is given, got ${parsed.hostname}`),
    );
  }
  const mode = input.mode ?? 'distributed';
  if (!MODES.includes(mode)) problems.push(problem('--mode', `must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}`));
  const outDir = input.outDir ?? defaultOutDir(now);
  if (typeof outDir !== 'string' || outDir.trim() === '') problems.push(problem('--out', 'must be a non-empty path'));
  if (problems.length > 0) throw invalidConfig('load-bench options', problems);

  const value = (key: NumericKey): number | null => numbers[key] ?? NUMERIC[key].default;
  const ratePerS = numbers.ratePerS;
  return Object.freeze({
    url: url.replace(/\/+$/, ''),
    durationS: value('durationS')!,
    ratePerS,
    concurrency: ratePerS === null ? value('concurrency')! : null,
    points: value('points')!,
    mode,
    chunkSize: numbers.chunkSize,
    sampleIntervalMs: value('sampleIntervalMs')!,
    pollConcurrency: value('pollConcurrency')!,
    requestTimeoutMs: value('requestTimeoutMs')!,
    maxRequests: value('maxRequests')!,
    drainTimeoutS: value('drainTimeoutS')!,
    cooldownS: value('cooldownS')!,
    outDir,
    allowRemote: input.allowRemote ?? false,
  });
}

/** Result of {@link parseLoadBenchArgs}: either a help request or resolved options. */
export type ParsedArgs = { help: true } | { help: false; options: ResolvedLoadBenchOptions };

const STRING_FLAGS: Record<string, 'url' | 'mode' | 'outDir'> = { '--url': 'url', '--mode': 'mode', '--out': 'outDir' };
const NUMERIC_FLAGS = new Map(Object.entries(NUMERIC).map(([key, spec]) => [spec.flag, key as NumericKey]));

/**
 * Parses CLI flags (`--flag value` or `--flag=value`; numbers accept `2e9`).
 * @throws PigridError INVALID_CONFIG listing every problem (unknown flags, missing values, bad numbers, rules).
 */
export function parseLoadBenchArgs(argv: readonly string[], now: Date = new Date()): ParsedArgs {
  const problems: string[] = [];
  const input: LoadBenchOptions & Record<string, unknown> = {};
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { help: true };
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (seen.has(flag)) problems.push(problem(flag, 'given more than once'));
    seen.add(flag);
    if (flag === '--allow-remote') {
      input.allowRemote = true;
      continue;
    }
    const stringKey = STRING_FLAGS[flag];
    const numericKey = NUMERIC_FLAGS.get(flag);
    if (!stringKey && !numericKey) {
      problems.push(problem(arg, 'unknown flag (see --help)'));
      continue;
    }
    let raw: string | undefined;
    if (eq > 0 && arg.startsWith('--')) raw = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) raw = argv[++i];
    if (raw === undefined) {
      problems.push(problem(flag, 'needs a value'));
      continue;
    }
    if (stringKey) {
      input[stringKey] = raw as never;
      continue;
    }
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (Number.isNaN(n)) problems.push(problem(flag, `must be a number, got ${JSON.stringify(raw)}`));
    else input[numericKey!] = n;
  }
  let options: ResolvedLoadBenchOptions | null = null;
  try {
    options = resolveLoadBenchOptions(input, now);
  } catch (err) {
    if (!(err instanceof PigridError && err.code === ErrorCode.INVALID_CONFIG)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || options === null) throw invalidConfig('load-bench options', problems);
  return { help: false, options };
}

/** The `--help` text: every flag with its rule and default. */
export function loadBenchHelp(): string {
  const lines = [
    'Usage: node dist/bench/load/load-bench.js [--url URL] [--duration S] [--rate R | --concurrency N] [options]',
    '',
    'Drives POST /api/calculate for a bounded time and records throughput, latency and replica counts',
    '(GET /api/k8s/status, /api/k8s/metrics) to samples.csv, summary.json and chart.html in --out.',
    '',
    `  --url URL                 gateway base URL (default ${DEFAULT_URL}); loopback only unless --allow-remote`,
    '  --allow-remote            allow a non-loopback --url (load on another host must be deliberate)',
    `  --mode MODE               ${MODES.join(' | ')} (default distributed)`,
    '  --out DIR                 output directory (default bench-out/load-<UTC timestamp>)',
  ];
  for (const spec of Object.values(NUMERIC)) {
    const range = `${spec.min}..${spec.max === Number.MAX_SAFE_INTEGER ? 'MAX_SAFE_INTEGER' : spec.max}`;
    const def = spec.default === null ? 'unset' : String(spec.default);
    lines.push(`  ${`${spec.flag} N`.padEnd(26)}${spec.help}; ${range} (default ${def})`);
  }
  lines.push('  --help, -h                this text', '');
  return lines.join('\n');
}
