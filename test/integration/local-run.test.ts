/**
 * `npm start` (dist/scripts/local-run.js) behaves like a small cluster: a SIGKILLed worker is restarted and the
 * calculation it was part of still completes with the exact result; `pigrid local scale` adds workers and drains
 * removed ones while a calculation runs; Ctrl-C (SIGINT) drains and stops every process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerStatus } from '../../scripts/local/control.js';
import { appRoot } from '../../shared/paths.js';
import { pigrid } from '../../harness/cli.js';
import { poolView, submit, until, waitDone, type CalcJson } from '../../harness/rest.js';

// 120 chunks of ~27 ms of one AVX2 core: ~1.6 s on the two workers, so the kill and the scale-down below land in
// the middle of the calculation even on a machine twice as fast (at 10^7 points a chunk it was over in ~0.2 s, often
// before the test acted).
const POINTS = 12_000_000_000;
const CHUNK = 100_000_000;
const SEED = 4242;

let runner: ChildProcess;
let exited: Promise<number | string>;
const lines: string[] = [];
let url: string;
let env: Record<string, string>;
let reference: CalcJson;

const status = async (): Promise<RunnerStatus> => {
  const r = await pigrid(['local', 'status', '--json'], env);
  if (r.code !== 0) throw new Error(`pigrid local status failed (${r.code}): ${r.stderr}`);
  return r.json as RunnerStatus;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pigrid-local-'));
  env = { PIGRID_LOCAL_CONTROL: join(dir, 'local-run.sock') };
  runner = spawn(process.execPath, [join(appRoot(), 'dist', 'scripts', 'local-run.js')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      PIGRID_HTTP_PORT: '0',
      PIGRID_GRPC_PORT: '0',
      PIGRID_WORKER_BASE_PORT: '0',
      PIGRID_METRICS_BASE_PORT: '-1',
      PIGRID_DB_PATH: join(dir, 'pigrid.db'),
      PIGRID_LOCAL_WORKERS: '2',
      PIGRID_THREADS: '1',
      PIGRID_RESTART_BACKOFF_MS: '200',
      PIGRID_DISCOVERY_INTERVAL_MS: '300',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => runner.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const running = new Promise<string>((resolve, reject) => {
    for (const s of [runner.stdout!, runner.stderr!]) {
      createInterface({ input: s }).on('line', (line) => {
        lines.push(line);
        if (process.env.PIGRID_TEST_LOGS) process.stderr.write(`[local-run] ${line}\n`);
        const m = /^pigrid is running: gateway (\S+)/.exec(line);
        if (m) resolve(m[1]);
      });
    }
    void exited.then((code) => reject(new Error(`local-run exited (${code}) before it was running:\n${lines.join('\n')}`)));
  });
  url = await running;
  env.PIGRID_URL = url;
  await until(
    'both workers connected',
    async () => (await poolView(url)).workers.filter((w) => w.state === 'READY').length === 2 || undefined,
  );
  // The exact answer, computed by the coordinator's own pool.
  reference = await waitDone(url, (await submit(url, { points: POINTS, mode: 'single', seed: SEED, chunk_size: CHUNK })).id);
  expect(reference.status).toBe('completed');
});

afterAll(async () => {
  if (runner && runner.exitCode === null && runner.signalCode === null) {
    const pids = await status().then(
      (s) => [s.coordinator, s.gateway, ...s.workers].map((p) => p.pid),
      () => [],
    );
    runner.kill('SIGKILL');
    for (const pid of pids) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

describe('local run', () => {
  it('runs mutual TLS by default, with a CA and a certificate per process made beside the database', () => {
    expect(
      lines.some((l) =>
        /mutual TLS on every gRPC hop; CA and certificates in \S+\/tls \(grpcurl: -cacert \S+ca\.pem -cert \S+client\.pem -key \S+client-key\.pem\)/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines.some((l) => /^coordinator +\| \[[\d:.]+\] INFO: coordinator ready \{.*"tls":"mutual"/.test(l))).toBe(true);
    expect(lines.some((l) => /^worker-1 +\| \[[\d:.]+\] INFO: worker ready \{.*"tls":"mutual"/.test(l))).toBe(true);
    expect(lines.some((l) => /PIGRID_INSECURE=true/.test(l))).toBe(false);
  });

  it("shows the processes' JSON log lines as human lines, and no Node warning about an IP as TLS server name", () => {
    expect(lines.filter((l) => /^\S+ +\| \{/.test(l))).toEqual([]);
    expect(lines.filter((l) => /DEP0123|TLS ServerName/.test(l))).toEqual([]);
    // The coordinator logs the DNS watcher's view of the workers.
    expect(lines.some((l) => /^coordinator +\| .*INFO: dns discovery: worker set changed \{.*"added":\["127\.0\.0\.1:\d+"/.test(l))).toBe(
      true,
    );
  });

  it('restarts a SIGKILLed worker with its id and port; the calculation stays exact', async () => {
    const before = (await status()).workers.find((w) => w.name === 'worker-1')!;
    const calc = await submit(url, { points: POINTS, mode: 'distributed', seed: SEED, chunk_size: CHUNK });
    await until('the first chunks', async () => ((await http(calc.id)).chunks_done >= 2 ? true : undefined), 20_000, 20);
    process.kill(before.pid!, 'SIGKILL');
    const back = await until('worker-1 restarted and ready', async () => {
      const w = (await status()).workers.find((x) => x.name === 'worker-1')!;
      return w.restarts === 1 && w.state === 'ready' ? w : undefined;
    });
    expect(back.last_exit).toBe('SIGKILL');
    expect(back.pid).not.toBe(before.pid);
    expect(back.ready.grpc).toBe(before.ready.grpc);
    const done = await waitDone(url, calc.id);
    expect(done.status).toBe('completed');
    expect(done.inside).toBe(reference.inside);
    // The coordinator sees the new process under the same worker id.
    await until(
      'local-worker-1 back in the pool',
      async () => (await poolView(url)).workers.some((w) => w.id === 'local-worker-1' && w.state === 'READY') || undefined,
    );
    expect(lines.some((l) => /^worker-1 +\| exited SIGKILL; restarting in 0\.2 s \(restart 1\)$/.test(l))).toBe(true);
  });

  it('scales up, then drains the removed workers in the middle of a calculation, which stays exact', async () => {
    const up = await pigrid(['local', 'scale', '3', '--wait'], env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/workers: 3 ready of 3 wanted/);
    await until(
      '3 workers in the pool',
      async () => (await poolView(url)).workers.filter((w) => w.state === 'READY').length === 3 || undefined,
    );
    expect((await poolView(url)).workers.map((w) => w.id).sort()).toEqual(['local-worker-1', 'local-worker-2', 'local-worker-3']);

    const calc = await submit(url, { points: POINTS, mode: 'distributed', seed: SEED, chunk_size: CHUNK });
    await until('chunks on every worker', async () => ((await http(calc.id)).chunks_done >= 3 ? true : undefined), 20_000, 20);
    const down = await pigrid(['local', 'scale', '1', '--wait'], env);
    expect(down.code, down.stderr).toBe(0);
    const s = await status();
    expect(s.workers.map((w) => w.name)).toEqual(['worker-1']);
    expect(lines.filter((l) => /^worker-[23] +\| exited exit 0$/.test(l))).toHaveLength(2);
    const done = await waitDone(url, calc.id);
    expect(done.inside).toBe(reference.inside);
    await until('1 worker in the pool', async () => (await poolView(url)).workers.length === 1 || undefined);

    const bad = await pigrid(['local', 'scale', '100000'], env);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/workers must be an integer from 0 to 16/);
  });

  it('Ctrl-C drains the workers, then stops the coordinator and the gateway', async () => {
    const pids = await status().then((s) => [s.coordinator, s.gateway, ...s.workers].map((p) => p.pid!));
    runner.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(lines.at(-1)).toMatch(/local-run +\| all stopped$/);
    const order = ['worker-1', 'coordinator', 'gateway'].map((n) =>
      lines.findIndex((l) => new RegExp(`^${n} +\\| exited exit 0$`).test(l)),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect(order[0]).toBeLessThan(Math.min(order[1], order[2]));
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const gone = await pigrid(['local', 'status'], env);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/no local run is listening there/);
  });
});

async function http(id: string): Promise<CalcJson> {
  const r = await fetch(`${url}/api/calculate/${id}`);
  return (await r.json()) as CalcJson;
}
