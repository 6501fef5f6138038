/**
 * The request line written without pino's generic path (gateway/request-line.ts) is the line pino writes for the same
 * call, byte for byte: for arbitrary field values (quotes, backslashes, control characters, latin1 as Node decodes a
 * URL, any Unicode, non-finite numbers), for the gateway's logger and for pino options the writer follows (message
 * key, line end, time format, level labels, no base), with the logger's current level and bindings. A logger whose
 * line it does not reproduce gets no writer, and a subscriber of pino's tracing channel still sees every line.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import fc from 'fast-check';
import { pino, type LoggerOptions } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestLineWriter, REQUEST_LINE_MESSAGE } from '../../gateway/request-line.js';
import { createLogger } from '../../shared/logger.js';

/** A logger writing to an array, as the gateway's writes to its log destination. */
function capture(make: (dest: { write(s: string): void }) => pino.Logger) {
  const lines: string[] = [];
  const log = make({ write: (s: string) => void lines.push(s) });
  return { log, lines };
}

const gatewayLogger = () => capture((dest) => createLogger('gateway', { level: 'info' }, {}, dest));

type Fields = [reqId: string, method: string, url: string, statusCode: number, responseTime: number, client: string];

/** The line pino writes for the request log's call (gateway/request-log.ts RequestLog.line). */
function pinoLine(log: pino.Logger, lines: string[], f: Fields): string {
  const [reqId, method, url, statusCode, responseTime, client] = f;
  log.info({ reqId, method, url, statusCode, responseTime, client }, REQUEST_LINE_MESSAGE);
  return lines.pop()!;
}

function writerLine(log: pino.Logger, lines: string[], f: Fields): string | undefined {
  const write = requestLineWriter(log);
  expect(write).toBeDefined();
  const before = lines.length;
  write!(...f);
  return lines.length === before ? undefined : lines.pop();
}

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 120 });
const fields: fc.Arbitrary<Fields> = fc.tuple(
  fc.oneof(
    fc.string(),
    fc.nat().map((n) => `req-${n.toString(36)}`),
  ),
  fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE'), fc.string({ maxLength: 10 })),
  fc.oneof(latin1, fc.string({ unit: 'grapheme', maxLength: 60 }), fc.constantFrom('/api/calculate/"x"\\y', '/a\u2028b\u007f')),
  fc.oneof(fc.constantFrom(200, 304, 404), fc.integer(), fc.constantFrom(Number.NaN, Infinity)),
  fc.oneof(fc.double(), fc.double({ min: 0, max: 1e4, noNaN: true })),
  fc.oneof(fc.constantFrom('ip:127.0.0.1', 'ip:::ffff:10.0.0.1', 'ip:undefined', 'token:ci'), latin1),
);

describe('the request line', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_796_000_000_123 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("is pino's line for the gateway's logger, for any field values", () => {
    const { log, lines } = gatewayLogger();
    fc.assert(
      fc.property(fields, (f) => {
        expect(writerLine(log, lines, f)).toBe(pinoLine(log, lines, f));
      }),
      { numRuns: 2_000 },
    );
  });

  it('follows the options it reads from the logger: message key, line end, time, level labels, no base', () => {
    const f: Fields = ['req-9', 'GET', '/api/calculate/c"1', 200, 1.25, 'ip:127.0.0.1'];
    const variants: LoggerOptions[] = [
      { messageKey: 'message' },
      { crlf: true },
      { timestamp: pino.stdTimeFunctions.isoTime },
      { timestamp: false },
      { base: null },
      { formatters: { level: (label) => ({ level: label }) } },
      { customLevels: { audit: 35 } },
    ];
    for (const options of variants) {
      const { log, lines } = capture((dest) => pino(options, dest));
      expect(writerLine(log, lines, f)).toBe(pinoLine(log, lines, f));
    }
  });

  it("writes nothing below the logger's level and follows level and binding changes", () => {
    const { log, lines } = capture((dest) => createLogger('gateway', { level: 'warn' }, {}, dest));
    const write = requestLineWriter(log)!;
    write('req-1', 'GET', '/api/calculate/a', 200, 1, 'ip:127.0.0.1');
    expect(lines).toEqual([]);
    log.level = 'debug';
    log.setBindings({ pod: 'gateway-7' });
    const f: Fields = ['req-2', 'GET', '/api/calculate/a', 200, 1, 'ip:127.0.0.1'];
    write(...f);
    const ours = lines.pop()!;
    expect(ours).toContain('"pod":"gateway-7"');
    expect(ours).toBe(pinoLine(log, lines, f));
  });

  it("leaves the line to pino when the logger's options change it in ways the writer does not follow", () => {
    const make: LoggerOptions[] = [
      { redact: ['url'] },
      { mixin: () => ({ extra: 1 }) },
      { formatters: { log: (o) => ({ ...o, wrapped: true }) } },
      { hooks: { logMethod: (args, method) => method.apply(undefined as never, args) } },
      { hooks: { streamWrite: (s) => s } },
      { nestedKey: 'payload' },
      { serializers: { url: (u: string) => u.toUpperCase() } },
      { msgPrefix: '[gw] ' },
    ];
    for (const options of make) {
      const { log } = capture((dest) => pino(options, dest));
      expect(requestLineWriter(log), JSON.stringify(Object.keys(options))).toBeUndefined();
    }
    const child = gatewayLogger().log.child({}, { msgPrefix: '[req] ' });
    expect(requestLineWriter(child)).toBeUndefined();
    const multi = pino({}, pino.multistream([{ stream: { write: () => {} } }]));
    expect(requestLineWriter(multi)).toBeUndefined();
    expect(requestLineWriter(undefined)).toBeUndefined();
  });

  it("goes through pino while pino's tracing channel has a subscriber, so it sees every line", () => {
    const { log, lines } = gatewayLogger();
    const write = requestLineWriter(log)!;
    const seen: unknown[] = [];
    const handlers = { start: (m: unknown) => void seen.push(m), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
    const channel = tracingChannel('pino_asJson');
    channel.subscribe(handlers);
    try {
      const f: Fields = ['req-3', 'GET', '/api/calculate/b', 304, 0.5, 'ip:127.0.0.1'];
      write(...f);
      expect(seen).toHaveLength(1);
      expect(lines.pop()).toBe(pinoLine(log, lines, f));
    } finally {
      channel.unsubscribe(handlers);
    }
    // Our line and the reference line went through the channel; without a subscriber the writer skips pino again.
    expect(seen).toHaveLength(2);
    write('req-4', 'GET', '/api/calculate/b', 200, 0.5, 'ip:127.0.0.1');
    expect(seen).toHaveLength(2);
    expect(lines.pop()).toContain('"reqId":"req-4"');
  });
});
