/**
 * The one way a pigrid process makes its logger: pino, one JSON object per line on stdout (what a cluster's log
 * collector reads), or human lines through pino-pretty with `PIGRID_LOG_FORMAT=pretty`. Call sites use pino's own
 * shape, `log.info({ calculationId }, 'calculation submitted')`; an Error goes under `err`, which pino's standard
 * serializer writes with its type, message, stack and the stacks of its causes.
 *
 * Field names of the ids are the code's own: `calculationId`, `leaseId`, `workerId` (and `chunkIndex`, `connId`).
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type Logger = PinoLogger;

/** What configuration decides about logging (shared/config.ts reads it from PIGRID_LOG_LEVEL and PIGRID_LOG_FORMAT). */
export interface LogSettings {
  /** @default info */
  readonly level: LogLevel;
  /** @default json */
  readonly format: LogFormat;
}

export const DEFAULT_LOG_SETTINGS: LogSettings = Object.freeze({ level: 'info', format: 'json' });

/**
 * pino-pretty's options for human lines: one line per event (an error's stack still spans lines), no colours unless
 * the output is a terminal, local time of day. The local runner formats its children's JSON lines with these too.
 */
export function prettyOptions(colorize: boolean) {
  return {
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
  } as const;
}

/**
 * A process's root logger. `component` (coordinator, worker, gateway) is bound to every line, with `fields`.
 * `destination` replaces stdout (tests capture lines with it).
 */
export function createLogger(
  component: string,
  settings: Partial<LogSettings> = {},
  fields: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const { level, format } = { ...DEFAULT_LOG_SETTINGS, ...settings };
  const options = { level, base: { component, ...fields }, serializers: { err: pino.stdSerializers.err } };
  if (destination) return pino(options, destination);
  if (format === 'pretty') return pino(options, PinoPretty({ ...prettyOptions(process.stdout.isTTY === true), sync: true }));
  // Synchronous writes: a line logged just before process.exit() is not lost.
  return pino(options, pino.destination({ fd: 1, sync: true }));
}
