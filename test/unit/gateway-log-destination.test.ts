/**
 * The gateway's asynchronous log destination: lines are buffered up to a bound; what overflows it is dropped,
 * counted line by line, and reported by one warning in the same log - never lost silently.
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
  it('drops a turn of lines that overflows its buffer, and one warning gives the exact count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pigrid-log-'));
    dirs.push(dir);
    const file = join(dir, 'gateway.log');
    const bufferBytes = 4_096;
    const destination = logDestination({ level: 'info', format: 'json' }, { dest: file, maxLength: bufferBytes });
    expect(destination).toBeDefined();
    if (!destination) return;
    const { writer, lines } = destination;
    await new Promise((resolve) => writer.once('ready', resolve));
    const log = createLogger('gateway', { level: 'info' }, {}, lines);
    reportDroppedLines(writer, log, { bufferBytes, delayMs: 20 });

    // A turn's lines reach the writer as one string: a few fit, then a turn of ~60 KB does not and is dropped whole.
    for (let i = 0; i < 5; i++) log.info({ i }, 'request completed');
    await new Promise((resolve) => setImmediate(resolve));
    const burst = 500;
    for (let i = 5; i < 5 + burst; i++) log.info({ i, pad: 'x'.repeat(100) }, 'request completed');

    const warning = await waitFor(() => records(file).find((r) => r.msg === 'stdout was too slow for the log: lines dropped'));
    expect(warning).toMatchObject({ level: 40, component: 'gateway', bufferBytes, dropped: burst });
    const written = records(file).filter((r) => r.msg === 'request completed');
    expect(written.map((r) => r.i)).toEqual([0, 1, 2, 3, 4]);
    writer.end();
  });

  it('keeps human lines synchronous: no async destination for the pretty format', () => {
    expect(logDestination({ level: 'info', format: 'pretty' })).toBeUndefined();
  });
});
