/**
 * The gateway's log lines reach the stdout writer once per turn of the event loop, as one string, in order; at exit
 * what is held is handed over and written synchronously (gateway/log-lines.ts).
 */
import { describe, expect, it } from 'vitest';
import { LogLines, type LineWriter } from '../../gateway/log-lines.js';
import { createLogger } from '../../shared/logger.js';

function recordingWriter() {
  const writes: string[] = [];
  const events: string[] = [];
  const writer: LineWriter = {
    write: (text: string) => {
      writes.push(text);
      events.push('write');
    },
    flushSync: () => void events.push('flushSync'),
  };
  return { writer, writes, events };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('log lines per event-loop turn', () => {
  it('hands the lines of one turn to the writer as one string, in order, at the end of the turn', async () => {
    const { writer, writes } = recordingWriter();
    const lines = new LogLines(writer);
    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    lines.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
    await nextTurn();
    expect(writes).toHaveLength(2);
  });

  it('writes what it holds, then flushes the writer synchronously, on flushSync (at exit)', () => {
    const { writer, writes, events } = recordingWriter();
    const lines = new LogLines(writer);
    lines.write('last\n');
    lines.flushSync();
    expect(writes).toEqual(['last\n']);
    expect(events).toEqual(['write', 'flushSync']);
    // Nothing is written twice when the scheduled turn comes.
    return nextTurn().then(() => expect(writes).toEqual(['last\n']));
  });

  it('carries pino lines unchanged', async () => {
    const { writer, writes } = recordingWriter();
    const log = createLogger('gateway', { level: 'info' }, {}, new LogLines(writer));
    for (let i = 0; i < 100; i++) log.info({ reqId: `req-${i}`, statusCode: 200 }, 'request completed');
    await nextTurn();
    expect(writes).toHaveLength(1);
    const parsed = writes[0]
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { reqId: string; msg: string; component: string });
    expect(parsed.map((r) => r.reqId)).toEqual(Array.from({ length: 100 }, (_, i) => `req-${i}`));
    expect(parsed.every((r) => r.msg === 'request completed' && r.component === 'gateway')).toBe(true);
  });
});
