/**
 * The gateway's asynchronous log destination: lines logged while a write is in flight are buffered up to a bound;
 * what overflows it is dropped, counted, and reported by one warning in the same log - never lost silently.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logDestination, reportDroppedLines } from '../../gateway/log-destination.js';
import { createLogger } from '../../shared/logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function records(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('gateway log destination', () => {
  it('drops what overflows its buffer while a write is in flight, and one warning gives the exact count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pigrid-log-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.log');
    const bufferBytes = 4_096;
    const destination = logDestination({ level: 'info', format: 'json' }, { dest: file, maxLength: bufferBytes });
    expect(destination).toBeDefined();
    if (!destination) return;
    await new Promise((resolve) => destination.once('ready', resolve));
    const log = createLogger('gateway', { level: 'info' }, {}, destination);
    reportDroppedLines(destination, log, { bufferBytes, delayMs: 20 });

    // One event-loop turn: the first line's write is in flight, the rest wait in the buffer until it overflows.
    const sent = 500;
    for (let i = 0; i < sent; i++) log.info({ i, pad: 'x'.repeat(100) }, 'request completed');

    const warning = await waitFor(() => records(file).find((r) => r.msg === 'stdout was too slow for the log: lines dropped'));
    const written = records(file).filter((r) => r.msg === 'request completed');
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(sent);
    expect(warning).toMatchObject({ level: 40, component: 'gateway', bufferBytes, dropped: sent - written.length });
    // What was written is in order and without gaps: the buffer keeps the oldest lines and drops the newest.
    expect(written.map((r) => r.i)).toEqual(written.map((_, index) => index));
    destination.end();
  });

  it('keeps human lines synchronous: no async destination for the pretty format', () => {
    expect(logDestination({ level: 'info', format: 'pretty' })).toBeUndefined();
  });
});
