/**
 * Reads the JSON log lines pigrid processes write (shared/logger.ts) for tests and benches: each line parsed, and
 * rendered as one canonical text line, `level msg key=value …`, that tests match with `waitFor(/regex/)` and that
 * failure reports show. An Error under `err` renders as its stack (with causes), JSON-quoted so it stays one line.
 */
import { createLogger, type Logger, type LogLevel } from '../shared/logger.js';

/** pino's level numbers. */
const LEVEL_LABELS: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Fields every line carries that the canonical text leaves out (the harness knows which process it reads). */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

/** A parsed log line: pino's level number and message, and the line's fields. */
export interface LogRecord {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The JSON object of a log line, or undefined when the line is not one (a Node warning, a crash dump). */
export function parseLogLine(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const obj = JSON.parse(line) as Record<string, unknown>;
    return typeof obj.level === 'number' && typeof obj.msg === 'string' ? (obj as LogRecord) : undefined;
  } catch {
    return undefined;
  }
}

export function levelLabel(level: number): string {
  return LEVEL_LABELS[level] ?? String(level);
}

function renderValue(key: string, v: unknown): string {
  if (key === 'err' && typeof v === 'object' && v !== null) {
    const e = v as { stack?: unknown; message?: unknown };
    return JSON.stringify(typeof e.stack === 'string' ? e.stack : String(e.message));
  }
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** The canonical text of a parsed line: `info  worker connected workerId=worker-1 capacity=2`. */
export function renderLogRecord(rec: LogRecord): string {
  const tail = Object.entries(rec)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${renderValue(k, v)}`)
    .join(' ');
  return `${levelLabel(rec.level).padEnd(5)} ${rec.msg}${tail ? ' ' + tail : ''}`;
}

/** A raw output line as canonical text; a line that is not a log line stays as it is. */
export function renderLogLine(line: string): string {
  const rec = parseLogLine(line);
  return rec ? renderLogRecord(rec) : line;
}

/** The fields of a log line as strings (strings and numbers only), e.g. a ready line's `grpc` address. */
export function stringFields(rec: LogRecord): Record<string, string> {
  return Object.fromEntries(
    Object.entries(rec)
      .filter(([k, v]) => !HIDDEN.has(k) && (typeof v === 'string' || typeof v === 'number'))
      .map(([k, v]) => [k, String(v)]),
  );
}

/**
 * A logger made the way a process makes its own (shared/logger.ts), whose lines are kept instead of written: for
 * tests of components that take a logger.
 */
export function captureLogs(level: LogLevel = 'debug'): { log: Logger; records: LogRecord[]; lines: string[] } {
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const log = createLogger(
    'test',
    { level },
    {},
    {
      write(line: string) {
        const rec = parseLogLine(line.trimEnd());
        if (!rec) throw new Error(`not a log line: ${line}`);
        records.push(rec);
        lines.push(renderLogRecord(rec));
      },
    },
  );
  return { log, records, lines };
}

/** `text` with every regular-expression metacharacter escaped, to match it literally inside a `waitFor` pattern. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
