/**
 * The harness's spawn options for benchmarks (harness/processes.ts): a process's stdout drained unparsed once it is
 * ready, and a process in its own session. Real gateway processes; nothing reaches a coordinator.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, stopAll, type SpawnOptions } from '../../harness/processes.js';
import { http } from '../../harness/rest.js';

afterAll(stopAll);

/** A gateway that logs a line per request; its coordinator address is never dialled by the requests below. */
const gateway = (name: string, options: SpawnOptions) =>
  startProcess(
    name,
    'gateway',
    { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: '127.0.0.1:9', PIGRID_LOG_REQUESTS: 'true' },
    undefined,
    undefined,
    [],
    undefined,
    options,
  );

/** Session id of a process (field 6 of /proc/<pid>/stat). */
const sessionOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
};

describe('harness spawn options', () => {
  it("parses every stdout line by default, and after the ready line only drains stdout with 'drain-after-ready'", async () => {
    const parsed = await gateway('gateway-parsed', {});
    const drained = await gateway('gateway-drained', { stdout: 'drain-after-ready' });
    // 404s: each one a request line at level info (probes such as /healthz only log at debug).
    // The drained one first: its lines are out before the parsed one's last line is seen.
    for (const g of [drained, parsed])
      for (let i = 0; i < 50; i++) expect((await http(`${g.ready.url}/api/nothing-here-${i}`)).status).toBe(404);
    await parsed.waitFor(/request completed .*nothing-here-49/);
    const requestLines = (g: typeof parsed) => g.records.filter((r) => r.msg === 'request completed').length;
    expect(requestLines(parsed)).toBe(50);
    expect(drained.records.some((r) => / ready$/.test(r.msg))).toBe(true);
    expect(requestLines(drained)).toBe(0);
    // Still answering after its lines went into the drained pipe.
    expect((await http(`${drained.ready.url}/healthz`)).status).toBe(200);
  });

  it('starts a process in its own session only when asked', async () => {
    const own = await gateway('gateway-own-session', { ownSession: true, stdout: 'drain-after-ready' });
    const shared = await gateway('gateway-shared-session', { stdout: 'drain-after-ready' });
    expect(sessionOf(own.child.pid!)).toBe(own.child.pid);
    expect(sessionOf(shared.child.pid!)).toBe(sessionOf(process.pid));
  });
});
