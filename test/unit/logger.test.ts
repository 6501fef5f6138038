/**
 * The logger writes one pino JSON object per line with the component and the call's fields; an Error under `err`
 * carries its type, stack and causes; the harness renders lines as `level msg key=value` text; the local runner's
 * human lines come from pino-pretty with our options.
 */
import { prettyFactory } from 'pino-pretty';
import { describe, expect, it } from 'vitest';
import { captureLogs, renderLogLine } from '../../harness/log-lines.js';
import { createLogger, prettyOptions } from '../../shared/logger.js';

describe('logger', () => {
  it('writes one JSON line per event: pino level, message, component and the fields', () => {
    const raw: string[] = [];
    const log = createLogger('worker', { level: 'info' }, { workerId: 'w-1' }, { write: (s: string) => void raw.push(s) });
    log.info({ leaseId: 'l-1', chunkIndex: 3 }, 'lease accepted');
    expect(raw).toHaveLength(1);
    expect(raw[0].endsWith('\n')).toBe(true);
    expect(raw[0].slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(raw[0])).toMatchObject({
      level: 30,
      time: expect.any(Number) as unknown,
      component: 'worker',
      workerId: 'w-1',
      leaseId: 'l-1',
      chunkIndex: 3,
      msg: 'lease accepted',
    });
  });

  it('writes an Error under err with its type, stack, code and causes (pino standard serializer)', () => {
    const { log, records } = captureLogs();
    const sqlite = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    log.error({ method: 'Get', err: new TypeError('store unavailable', { cause: sqlite }) }, 'handler failed');
    expect(records).toHaveLength(1);
    const err = records[0].err as { type: string; message: string; stack: string };
    expect(records[0]).toMatchObject({ level: 50, method: 'Get', msg: 'handler failed' });
    expect(err.type).toBe('TypeError');
    expect(err.message).toBe('store unavailable: database or disk is full');
    expect(err.stack).toMatch(/^TypeError: store unavailable\n\s+at .*logger\.test\.ts/);
    expect(err.stack).toMatch(/\ncaused by: Error: database or disk is full\n\s+at /);
  });

  it('never throws on values JSON cannot serialise', () => {
    const { log, records } = captureLogs();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => log.info({ circular }, 'odd values')).not.toThrow();
    expect(records[0]).toMatchObject({ msg: 'odd values', circular: { self: '[Circular]' } });
  });

  it('drops lines below its level and keeps child fields', () => {
    const { log, lines } = captureLogs('info');
    const child = log.child({ address: '127.0.0.1:50061' });
    child.debug('hidden');
    child.info({ n: 1 }, 'shown');
    expect(lines).toEqual(['info  shown address=127.0.0.1:50061 n=1']);
  });
});

describe('canonical text of a log line (test harness)', () => {
  it('renders level, message and fields, quoting what is not a bare word, and the stack of err on one line', () => {
    const line = JSON.stringify({
      level: 40,
      time: 1,
      pid: 2,
      hostname: 'h',
      component: 'coordinator',
      msg: 'result rejected',
      workerId: 'crosser-2',
      detail: 'lease of another worker',
      added: ['127.0.0.1:1'],
      err: { type: 'Error', message: 'x', stack: 'Error: x\n    at f (a.ts:1:1)' },
    });
    expect(renderLogLine(line)).toBe(
      'warn  result rejected workerId=crosser-2 detail="lease of another worker" added=["127.0.0.1:1"] err="Error: x\\n    at f (a.ts:1:1)"',
    );
  });

  it('leaves lines that are not log lines as they are', () => {
    expect(renderLogLine('(node:1) Warning: something')).toBe('(node:1) Warning: something');
    expect(renderLogLine('{"not":"a log line"}')).toBe('{"not":"a log line"}');
  });
});

describe('human lines (npm start)', () => {
  it('are one line without colours when not on a terminal, with the message and the fields', () => {
    const pretty = prettyFactory(prettyOptions(false));
    const out = pretty(
      JSON.stringify({
        level: 30,
        time: Date.now(),
        pid: 1,
        hostname: 'h',
        component: 'worker',
        msg: 'worker ready',
        grpc: '127.0.0.1:50061',
      }),
    );
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: worker ready \{"grpc":"127\.0\.0\.1:50061"\}\n$/);
    expect(out).not.toContain('\x1b[');
  });
});
