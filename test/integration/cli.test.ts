/**
 * The `pigrid` CLI as a user runs it: the built executable as its own process against a real gateway, coordinator
 * and workers. Output, --json documents and exit codes (0 done, 1 not completed, 2 usage, 3 unreachable,
 * 4 refused, 5 server error).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { pigrid } from '../../harness/cli.js';
import { startProcess, stopAll } from '../../harness/processes.js';

/** A loopback port nothing listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let c: Cluster;
let env: Record<string, string>;
beforeAll(async () => {
  c = await startCluster({ workers: 2 });
  env = { PIGRID_URL: c.url };
});
afterAll(stopAll);

describe('pigrid CLI', () => {
  it('calc --watch shows progress and ends with π ± σ; the same run as --json matches single mode exactly', async () => {
    const text = await pigrid(['calc', '--points', '4e8', '--seed', '7', '--chunk-size', '2e7', '--watch'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^π ≈ 3\.14\d* ± \d\.\d+e?-?\d* +\(1σ; the true π is \d+\.\dσ away\)\n/);
    expect(text.stdout).toMatch(/of 400,000,000 points inside; seed 7, 20 chunks of 20,000,000/);
    // Not a terminal: one plain progress line per change, on stderr.
    expect(text.stderr).toMatch(/^\S+: distributed, 400,000,000 points, seed 7, 20 chunks\n/);
    expect(text.stderr).toMatch(/\n(running|completed) \d+\.\d% \d+\/20 chunks, .*ETA .*, π /);

    const [distributed, single] = await Promise.all([
      pigrid(['calc', '--points', '400_000_000', '--seed', '7', '--chunk-size', '20000000', '--watch', '--json'], env),
      pigrid(['--json', 'calc', '--mode', 'single', '--points', '4e8', '--seed', '7', '--chunk-size', '2e7', '--watch'], env),
    ]);
    for (const r of [distributed, single]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(''); // --json: nothing but the document
      expect(r.json.status).toBe('completed');
    }
    expect(distributed.json.mode).toBe('distributed');
    expect(single.json.mode).toBe('single');
    expect(distributed.json.inside).toBe(single.json.inside);
    expect(text.stdout).toContain(`${distributed.json.inside.toLocaleString('en-US')} of 400,000,000 points inside`);
  });

  it('calc without --watch returns at once; watch, get and list find the calculation', async () => {
    const submitted = await pigrid(['calc', '--points', '1e8', '--chunk-size', '1e7', '--json'], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.json.id as string;
    expect(['queued', 'running', 'completed']).toContain(submitted.json.status);
    const watched = await pigrid(['watch', id, '--json'], env);
    expect(watched.code).toBe(0);
    expect(watched.json).toMatchObject({ id, status: 'completed', chunks_done: 10 });
    const got = await pigrid(['get', id, '--json'], env);
    expect(got.json).toEqual(watched.json);
    const shown = await pigrid(['get', id], env);
    expect(shown.stdout).toContain(`${id}  completed  distributed, 100,000,000 points`);
    expect(shown.stdout).toMatch(/π ≈ 3\.1\d* ± /);
    const listed = await pigrid(['list', '--json', '--page-size', '2'], env);
    expect(listed.json.calculations.map((x: { id: string }) => x.id)).toContain(id);
    expect(listed.json.next_page_token).toEqual(expect.any(String));
    const table = await pigrid(['list'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^id +status +mode +points +progress/);
    expect(table.stdout).toContain(id);
  });

  it('cancel stops a running calculation; watching it then exits 1', async () => {
    const big = await pigrid(['calc', '--points', '1e13', '--json'], env);
    const id = big.json.id as string;
    const cancelled = await pigrid(['cancel', id, '--json'], env);
    expect(cancelled.code).toBe(0);
    expect(cancelled.json).toMatchObject({ id, status: 'cancelled', error_code: 'CANCELLED_BY_CLIENT' });
    // The event stream of an ended calculation answers `progress` then `end` at once.
    const watched = await pigrid(['watch', id], env);
    expect(watched.code).toBe(1);
    expect(watched.stdout).toMatch(/^cancelled \(CANCELLED_BY_CLIENT\)/);
  });

  it('workers shows the pool', async () => {
    const text = await pigrid(['workers'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^id +address +state +capacity/);
    expect(text.stdout).toMatch(/worker-1 .* READY/);
    expect(text.stdout).toMatch(/pool: 2 workers, capacity 2 threads/);
    expect(text.stdout).toContain('not in a Kubernetes cluster');
    const json = await pigrid(['workers', '--json'], env);
    expect(json.json.coordinator.workers.map((w: { id: string }) => w.id).sort()).toEqual(['worker-1', 'worker-2']);
  });

  it('says clearly why it failed, with an exit code per kind of failure', async () => {
    const usage = await pigrid(['calc', '--points', 'lots'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--points <n>' argument 'lots' is invalid/);
    expect((await pigrid(['frobnicate'], env)).code).toBe(2);

    const invalid = await pigrid(['calc', '--points', '0'], env);
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toMatch(/^pigrid: the gateway refused \(HTTP 400 INVALID_POINTS\): points must be an integer from 1 to/);
    const unknown = await pigrid(['get', '00000000-0000-0000-0000-000000000000'], env);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/HTTP 404 CALCULATION_NOT_FOUND/);

    const closed = await freePort();
    const down = await pigrid(['list', '--url', `http://127.0.0.1:${closed}`], env);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`pigrid: cannot reach the gateway at http://127.0.0.1:${closed}: connection refused. Is pigrid running`);

    // A gateway whose coordinator is gone answers 503: a server error, not a refusal.
    const orphan = await startProcess('gateway-orphan', 'gateway', {
      PIGRID_HTTP_PORT: '0',
      PIGRID_COORDINATOR: `127.0.0.1:${await freePort()}`,
      PIGRID_COORDINATOR_TIMEOUT_MS: '500',
    });
    const failed = await pigrid(['list'], { PIGRID_URL: orphan.ready.url });
    expect(failed.code).toBe(5);
    expect(failed.stderr).toMatch(/^pigrid: the gateway failed \(HTTP 503 /);
    orphan.kill();
  });
});
