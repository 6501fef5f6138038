/**
 * A small structured logger: one line per event, `level msg key=value …`, to stderr for warnings and errors and
 * stdout otherwise. The local runner prefixes each line with the component name.
 *
 * An Error under the key `err` prints its stack (and the stacks of its causes) as one JSON string, so an unexpected
 * error is logged with where it came from and still on one line; under any other key an Error prints its message.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Where finished lines go; the default writes warnings and errors to stderr, the rest to stdout. */
export type LogSink = (line: string, level: LogLevel) => void;

const stdSink: LogSink = (line, level) => (ORDER[level] >= ORDER.warn ? process.stderr : process.stdout).write(line);

/** The stack of an error, then `Caused by:` and the stack of each cause (at most a few levels). */
export function errorWithStack(err: Error): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (e instanceof Error) {
      const code = (e as { code?: unknown }).code;
      const head = e.stack ?? `${e.name}: ${e.message}`;
      parts.push(typeof code === 'string' && !head.includes(code) ? `${head}\n  code: ${code}` : head);
      e = e.cause;
    } else {
      parts.push(typeof e === 'string' ? e : json(e));
      break;
    }
  }
  return parts.join('\nCaused by: ');
}

function json(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    // Circular or otherwise unserialisable (a request object, say): a log call must never throw.
    return JSON.stringify(Object.prototype.toString.call(v));
  }
}

function format(key: string, v: unknown): string {
  if (v instanceof Error) return JSON.stringify(key === 'err' ? errorWithStack(v) : v.message);
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  return json(v);
}

export function createLogger(level: LogLevel = 'info', base: Record<string, unknown> = {}, sink: LogSink = stdSink): Logger {
  const min = ORDER[level] ?? ORDER.info;
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const all = { ...base, ...fields };
    const tail = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${format(k, v)}`)
      .join(' ');
    sink(`${lvl.padEnd(5)} ${msg}${tail ? ' ' + tail : ''}\n`, lvl);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}
