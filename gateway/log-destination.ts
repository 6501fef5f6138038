/**
 * Where the gateway's JSON lines go: stdout, written asynchronously, with a bounded buffer whose overflow is counted
 * and reported rather than lost silently.
 */
import { pino, type DestinationStream } from 'pino';
import type { Logger, LogSettings } from '../shared/logger.js';
import { LogLines } from './log-lines.js';

/** Lines the log may hold while stdout is slower than the gateway; past this it drops lines (and says so) instead of growing. */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

export interface LogDestination {
  /** The asynchronous writer (SonicBoom): emits `drop` with the text it could not hold. */
  readonly writer: ReturnType<typeof pino.destination>;
  /** What the logger writes to: the lines of one event-loop turn, handed to the writer together. */
  readonly lines: LogLines;
}

/**
 * The gateway logs a line per request (the request log, gateway/request-log.ts); a synchronous write per line stops
 * the event loop whenever the reader of stdout (the container runtime, the local runner) falls behind and costs a
 * system call per request. Lines logged while a write is in flight are written together by the next one, in order,
 * and the lines of one turn of the event loop reach the writer as one string (gateway/log-lines.ts). The caller
 * writes what is left at exit (`lines.flushSync()`). Human lines (PIGRID_LOG_FORMAT=pretty) stay synchronous:
 * undefined means "the logger's default". `dest` (a file path) and `maxLength` replace stdout and LOG_BUFFER_BYTES
 * in tests.
 */
export function logDestination(
  settings: LogSettings,
  options: { readonly dest?: string; readonly maxLength?: number } = {},
): LogDestination | undefined {
  if (settings.format !== 'json') return undefined;
  const maxLength = options.maxLength ?? LOG_BUFFER_BYTES;
  const writer =
    options.dest === undefined
      ? pino.destination({ fd: 1, sync: false, maxLength })
      : pino.destination({ dest: options.dest, sync: false, maxLength });
  return { writer, lines: new LogLines(writer) };
}

const linesIn = (text: string) => {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Lines dropped because the writer stayed behind by more than its buffer are not lost silently: `delayMs` after the
 * first drop, one warning says how many (through the same log, once it has room again); the next drop starts a new
 * count. A drop is one turn's lines (gateway/log-lines.ts): they are counted.
 */
export function reportDroppedLines(
  writer: DestinationStream & NodeJS.EventEmitter,
  log: Logger,
  options: { readonly bufferBytes?: number; readonly delayMs?: number } = {},
): void {
  const bufferBytes = options.bufferBytes ?? LOG_BUFFER_BYTES;
  let dropped = 0;
  writer.on('drop', (text: string) => {
    const first = dropped === 0;
    dropped += linesIn(text);
    if (!first) return;
    setTimeout(() => {
      log.warn({ dropped, bufferBytes }, 'stdout was too slow for the log: lines dropped');
      dropped = 0;
    }, options.delayMs ?? 1_000).unref();
  });
}
