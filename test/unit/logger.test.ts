/**
 * The logger keeps its one-line `level msg key=value` format, and an Error under `err` carries its stack.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../shared/logger.js';

function capture(level: LogLevel = 'debug') {
  const lines: { line: string; level: LogLevel }[] = [];
  const log = createLogger(level, {}, (line, lvl) => lines.push({ line, level: lvl }));
  return { log, lines };
}

/** The same key=value parse the test harness applies to process output. */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) out[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
  return out;
}

describe('logger', () => {
  it('prints an Error under err as its stack, on one line that still parses as key=value', () => {
    const { log, lines } = capture();
    const err = new TypeError('boom');
    log.error('handler failed', { method: 'Get', err, after: 'x' });
    expect(lines).toHaveLength(1);
    const { line, level } = lines[0];
    expect(level).toBe('error');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    const f = fields(line);
    expect(f.method).toBe('Get');
    expect(f.after).toBe('x');
    expect(f.err).toMatch(/^TypeError: boom\n\s+at /);
    expect(f.err).toContain('logger.test.ts');
  });

  it('prints an Error under any other key as its message only', () => {
    const { log, lines } = capture();
    log.warn('discovery failed', { error: new Error('no SRV records') });
    expect(lines[0].line).toBe('warn  discovery failed error="no SRV records"\n');
  });

  it('follows causes and shows an error code the message lacks', () => {
    const { log, lines } = capture();
    const sqlite = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    log.error('write failed', { err: new Error('store unavailable', { cause: sqlite }) });
    const f = fields(lines[0].line);
    expect(f.err).toMatch(/^Error: store unavailable\n[\s\S]*\nCaused by: Error: database or disk is full\n[\s\S]*code: SQLITE_FULL/);
  });

  it('never throws on values JSON cannot serialise', () => {
    const { log, lines } = capture();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => log.info('odd values', { circular, big: 10n })).not.toThrow();
    expect(fields(lines[0].line)).toEqual({ circular: '[object Object]', big: '10' });
  });

  it('drops lines below its level and keeps child fields', () => {
    const { log, lines } = capture('info');
    const child = log.child({ worker: 'w1' });
    child.debug('hidden');
    child.info('shown', { n: 1 });
    expect(lines.map((l) => l.line)).toEqual(['info  shown worker=w1 n=1\n']);
  });
});
