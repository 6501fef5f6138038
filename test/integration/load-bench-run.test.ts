import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LOAD_BENCH_CSV_COLUMNS } from '../../bench/load/csv.js';
import { main, runLoadBench } from '../../bench/load/load-bench.js';

type Status = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
interface FakeCalc {
  id: string;
  points: number;
  createdMs: number;
  finishMs: number;
  fails: boolean;
  cancelledMs: number | null;
}
interface Replicas {
  desired: number;
  current: number;
  ready: number;
}
interface FakeConfig {
  inCluster: boolean;
  /** 0: calculations never finish. */
  pointsPerMsPerWorker: number;
  rejectEvery?: number;
  failEvery?: number;
  statusFailOnCall?: number;
  /** Scripted replica counts by ms since the first submission (null before it). */
  replicas: (sinceFirstSubmitMs: number | null) => Replicas;
}

/** The gateway REST contract with in-memory calculations whose run time is points / (speed × ready workers). */
class FakeGateway {
  readonly calcs = new Map<string, FakeCalc>();
  posts = 0;
  rejected = 0;
  cancelCalls = 0;
  private statusCalls = 0;
  private firstSubmitMs: number | null = null;
  private readonly server: Server = createServer((req, res) => this.handle(req, res));
  url = '';

  constructor(private readonly cfg: FakeConfig) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  count(status: Status): number {
    return [...this.calcs.values()].filter((c) => this.status(c) === status).length;
  }

  private replicas(): Replicas {
    return this.cfg.replicas(this.firstSubmitMs === null ? null : performance.now() - this.firstSubmitMs);
  }

  private status(c: FakeCalc): Status {
    const now = performance.now();
    if (c.cancelledMs !== null) return 'cancelled';
    if (now < c.createdMs + 20) return 'queued';
    if (now < c.finishMs) return 'running';
    return c.fails ? 'failed' : 'completed';
  }

  private view(c: FakeCalc): object {
    const status = this.status(c);
    const done = status === 'completed';
    return {
      id: c.id,
      status,
      mode: 'distributed',
      points: String(c.points),
      points_done: done ? String(c.points) : '0',
      progress: done ? 1 : 0,
      inside: null,
      result_pi: done ? 3.14159 : null,
      std_error: null,
      seed: null,
      created_at: new Date().toISOString(),
      started_at: null,
      finished_at: null,
      duration_ms: done ? Math.round(c.finishMs - c.createdMs) : null,
      error: status === 'failed' ? 'kernel crashed' : null,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const send = (status: number, json: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      };
      const path = req.url ?? '';
      const calcMatch = /^\/api\/calculate\/([^/]+)(\/cancel)?$/.exec(path);
      if (req.method === 'POST' && path === '/api/calculate') {
        const points = (JSON.parse(body) as { points?: unknown }).points;
        if (!Number.isInteger(points)) return send(400, { error: { code: 'INVALID_POINTS', message: 'points', field: 'points' } });
        this.posts++;
        if (this.cfg.rejectEvery && this.posts % this.cfg.rejectEvery === 0) {
          this.rejected++;
          return send(503, { error: { code: 'COORDINATOR_UNAVAILABLE', message: 'down', field: null } });
        }
        const now = performance.now();
        this.firstSubmitMs ??= now;
        const speed = this.cfg.pointsPerMsPerWorker * this.replicas().ready;
        const id = `calc-${this.calcs.size + 1}`;
        const calc: FakeCalc = {
          id,
          points: points as number,
          createdMs: now,
          finishMs: speed > 0 ? now + (points as number) / speed : Infinity,
          fails: !!this.cfg.failEvery && (this.calcs.size + 1) % this.cfg.failEvery === 0,
          cancelledMs: null,
        };
        this.calcs.set(id, calc);
        return send(202, this.view(calc));
      }
      if (calcMatch) {
        const calc = this.calcs.get(decodeURIComponent(calcMatch[1]));
        if (!calc) return send(404, { error: { code: 'CALCULATION_NOT_FOUND', message: 'no such id', field: 'id' } });
        if (req.method === 'POST' && calcMatch[2]) {
          this.cancelCalls++;
          if (this.status(calc) === 'queued' || this.status(calc) === 'running') calc.cancelledMs = performance.now();
        }
        return send(200, this.view(calc));
      }
      if (path === '/api/k8s/status') return this.k8sStatus(send);
      if (path === '/api/k8s/metrics') return this.k8sMetrics(send);
      send(404, { error: { code: 'NOT_FOUND', message: path, field: null } });
    });
  }

  private k8sStatus(send: (status: number, json: unknown) => void): void {
    if (++this.statusCalls === this.cfg.statusFailOnCall) return send(500, { error: { code: 'INTERNAL', message: 'boom', field: null } });
    const r = this.replicas();
    const calcs = [...this.calcs.values()].map((c) => this.status(c));
    const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `pigrid-worker-${i}`);
    const inCluster = this.cfg.inCluster;
    send(200, {
      in_cluster: inCluster,
      namespace: inCluster ? 'pigrid' : null,
      pods: {
        coordinator: [],
        gateway: [],
        worker: inCluster ? names(Math.max(r.desired, r.ready)).map((name, i) => ({ name, phase: 'Running', ready: i < r.ready })) : [],
      },
      hpas: inCluster
        ? [
            {
              name: 'pigrid-worker',
              target: { kind: 'Deployment', name: 'pigrid-worker' },
              min_replicas: 1,
              max_replicas: 4,
              current_replicas: r.current,
              desired_replicas: r.desired,
              target_cpu_utilization: 70,
              current_cpu_utilization: 90,
            },
          ]
        : [],
      coordinator: {
        workers: names(r.ready).map((id) => ({ id, address: `${id}:50052`, capacity: 2, in_flight: 1, state: 'READY' })),
        total_capacity: 2 * r.ready,
        leases_in_flight: calcs.filter((s) => s === 'running').length,
        backlog_chunks: String(4 * calcs.filter((s) => s === 'queued').length),
        active_calculations: calcs.filter((s) => s === 'running' || s === 'queued').length,
      },
      errors: [],
    });
  }

  private k8sMetrics(send: (status: number, json: unknown) => void): void {
    if (!this.cfg.inCluster) return send(200, { pods: [], totals: {} });
    const ready = this.replicas().ready;
    send(200, {
      pods: Array.from({ length: ready }, (_, i) => ({
        name: `pigrid-worker-${i}`,
        component: 'worker',
        cpu_millicores: 400,
        memory_bytes: 1e8,
      })),
      totals: { worker: { cpu_millicores: 400 * ready, memory_bytes: 1e8 * ready, pods: ready } },
    });
  }
}

/** Parses samples.csv into header and numeric rows (blank → null). */
function parseCsv(text: string): { header: string[]; rows: Record<string, number | null>[]; widths: number[] } {
  const [head, ...lines] = text.trimEnd().split('\n');
  const header = head.split(',');
  const cells = lines.map((l) => l.split(','));
  return {
    header,
    widths: cells.map((c) => c.length),
    rows: cells.map((c) => Object.fromEntries(header.map((h, i) => [h, c[i] === '' ? null : Number(c[i])]))),
  };
}

const stepScript =
  (up: Replicas, upAtMs: number, readyAtMs: number, downAtMs: number, readyDownAtMs: number) =>
  (t: number | null): Replicas => {
    if (t === null || t < upAtMs) return { desired: 1, current: 1, ready: 1 };
    if (t >= readyDownAtMs) return { desired: 1, current: 1, ready: 1 };
    if (t >= downAtMs) return { desired: 1, current: up.current, ready: up.ready };
    return t < readyAtMs ? { desired: up.desired, current: 1, ready: 1 } : up;
  };

describe('runLoadBench against a fake gateway', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  async function setup(cfg: FakeConfig): Promise<{ fake: FakeGateway; outDir: string }> {
    const fake = await new FakeGateway(cfg).start();
    const outDir = await mkdtemp(join(tmpdir(), 'load-bench-'));
    cleanups.push(
      () => fake.stop(),
      () => rm(outDir, { recursive: true, force: true }),
    );
    return { fake, outDir };
  }

  it('records rows consistent with what the fake served, detects scale-up and scale-down, and stops by itself', async () => {
    const { fake, outDir } = await setup({
      inCluster: true,
      pointsPerMsPerWorker: 1000,
      rejectEvery: 5,
      failEvery: 4,
      statusFailOnCall: 3,
      replicas: stepScript({ desired: 3, current: 3, ready: 3 }, 600, 1000, 3300, 3600),
    });
    const options = {
      url: fake.url,
      durationS: 3,
      concurrency: 3,
      points: 300_000,
      sampleIntervalMs: 200,
      drainTimeoutS: 3,
      cooldownS: 1.5,
      outDir,
    };
    const started = performance.now();
    const summary = await runLoadBench(options);
    const elapsedS = (performance.now() - started) / 1000;
    expect(elapsedS).toBeGreaterThanOrEqual(3);
    expect(elapsedS).toBeLessThan(3 + 3 + 1.5); // drained at once: less than duration + a full drain timeout + cooldown
    expect(summary.stoppedBy).toBe('duration');

    const { header, rows, widths } = parseCsv(await readFile(join(outDir, 'samples.csv'), 'utf8'));
    expect(header).toEqual([...LOAD_BENCH_CSV_COLUMNS]);
    expect(new Set(widths)).toEqual(new Set([LOAD_BENCH_CSV_COLUMNS.length]));
    expect(rows.length).toBe(summary.samples);
    expect(rows.length).toBeGreaterThanOrEqual(20);
    for (const [i, r] of rows.entries()) {
      if (i > 0) expect(r.t_s!).toBeGreaterThan(rows[i - 1].t_s!);
      expect(r.submitted).toBe(r.completed! + r.failed! + r.in_flight!);
    }
    const last = rows[rows.length - 1];
    expect(last.in_flight).toBe(0);
    expect(fake.count('completed')).toBeGreaterThan(5);
    expect(summary.totals.completed).toBe(fake.count('completed'));
    expect(last.completed).toBe(fake.count('completed'));
    expect(summary.totals).toMatchObject({
      submitted: fake.posts,
      rejected: fake.rejected,
      failed: fake.count('failed'),
      cancelled: 0,
      abandoned: 0,
      pointsCompleted: 300_000 * fake.count('completed'),
    });
    expect(last.failed).toBe(fake.rejected + fake.count('failed'));
    const integrated = rows.slice(1).reduce((sum, r, i) => sum + (r.samples_per_s_completed ?? 0) * (r.t_s! - rows[i].t_s!), 0);
    // t_s is rounded to the ms in the CSV, so the integral is exact only to ~0.1 %.
    expect(Math.abs(integrated - summary.totals.pointsCompleted) / summary.totals.pointsCompleted).toBeLessThan(0.01);

    // The scripted replicas: 1 → desired 3 at 0.6 s → ready 3 at 1.0 s → desired 1 at 3.3 s → ready 1 at 3.6 s.
    expect(rows[0]).toMatchObject({ hpa_desired_replicas: 1, worker_pods_ready: 1, workers_ready: 1, in_flight: 0, submitted: 0 });
    expect(Math.max(...rows.map((r) => r.hpa_desired_replicas ?? 0))).toBe(3);
    expect(Math.max(...rows.map((r) => r.worker_pods_ready ?? 0))).toBe(3);
    expect(last).toMatchObject({ hpa_desired_replicas: 1, hpa_current_replicas: 1, worker_pods_ready: 1, worker_cpu_millicores: 400 });
    expect(summary.replicas).toMatchObject({ readySource: 'worker_pods_ready', maxSeen: 3 });
    // Lower bounds are exact (the fake's clock starts at the first submission, after the bench's);
    // upper bounds allow seconds of lateness on a loaded machine (the point: seen during the load, not after it).
    expect(summary.replicas.hpaDesired.upS).toBeGreaterThanOrEqual(0.6);
    expect(summary.replicas.hpaDesired.upS).toBeLessThan(3);
    expect(summary.replicas.ready.upS).toBeGreaterThanOrEqual(1.0);
    expect(summary.replicas.ready.upS).toBeLessThan(3);
    expect(summary.replicas.scaleUpS).toBe(Math.min(summary.replicas.hpaDesired.upS!, summary.replicas.ready.upS!));
    expect(summary.replicas.scaleDownS).toBeGreaterThan(0.3);
    expect(summary.replicas.scaleDownS).toBeLessThan(1.5);

    // The third status probe answered 500: one row with blank status cells, counted, no crash.
    expect(summary.errors.byEndpoint).toMatchObject({ submit: fake.rejected, poll: 0, cancel: 0 });
    expect(summary.errors.byHttpStatus).toEqual({ 500: 1, 503: fake.rejected });
    expect(summary.errors.byEndpoint.status).toBeGreaterThanOrEqual(1); // more only if a probe timed out on a loaded machine
    expect(rows.filter((r) => r.workers_ready === null && r.hpa_desired_replicas === null)).toHaveLength(summary.errors.byEndpoint.status);
    expect(summary.latencyMs.submit.count).toBe(fake.posts);
    expect(summary.latencyMs.server.count).toBe(fake.count('completed'));
    expect(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8'))).toEqual(summary);
    expect(await readFile(join(outDir, 'chart.html'), 'utf8')).toMatch(
      /<svg [\s\S]*Replicas[\s\S]*Offered load[\s\S]*Throughput[\s\S]*Worker CPU/,
    );
  });

  it('cancels what is still running after the drain timeout (local run: no pods, no HPA)', async () => {
    const { fake, outDir } = await setup({
      inCluster: false,
      pointsPerMsPerWorker: 0,
      replicas: () => ({ desired: 2, current: 2, ready: 2 }),
    });
    const started = performance.now();
    const summary = await runLoadBench({
      url: fake.url,
      durationS: 1,
      concurrency: 2,
      points: 1000,
      sampleIntervalMs: 200,
      drainTimeoutS: 0.5,
      outDir,
    });
    // Nothing ever completes: without the drain timeout the run would never end.
    expect((performance.now() - started) / 1000).toBeLessThan(1 + 0.5 + 10);
    expect(summary.totals).toMatchObject({ submitted: 2, accepted: 2, completed: 0, abandoned: 2 });
    expect(fake.cancelCalls).toBe(2);
    expect(fake.count('cancelled')).toBe(2);
    const { rows } = parseCsv(await readFile(join(outDir, 'samples.csv'), 'utf8'));
    expect(
      rows.every(
        (r) => r.workers_ready === 2 && r.worker_pods_ready === null && r.hpa_desired_replicas === null && r.worker_cpu_millicores === null,
      ),
    ).toBe(true);
    expect(rows[rows.length - 1]).toMatchObject({ submitted: 2, failed: 2, in_flight: 0 });
    expect(summary.replicas).toMatchObject({ readySource: 'workers_ready', maxSeen: 2, scaleUpS: null, scaleDownS: null });
  });

  it('stops an open loop at --max-requests or the duration, and an aborted run still cancels and writes its files', async () => {
    const { fake, outDir } = await setup({
      inCluster: false,
      pointsPerMsPerWorker: 0,
      replicas: () => ({ desired: 1, current: 1, ready: 1 }),
    });
    const capped = await runLoadBench({
      url: fake.url,
      durationS: 5,
      ratePerS: 50,
      maxRequests: 5,
      points: 10,
      sampleIntervalMs: 100,
      drainTimeoutS: 0,
      outDir,
    });
    expect(capped.stoppedBy).toBe('max-requests');
    expect(capped.phases.loadEndS).toBeLessThan(2.5); // 5 requests at 50/s, long before the 5 s duration
    expect(fake.posts).toBe(5);
    expect(capped.totals).toMatchObject({ submitted: 5, abandoned: 5 });

    const open = await runLoadBench({
      url: fake.url,
      durationS: 1,
      ratePerS: 4,
      points: 10,
      sampleIntervalMs: 100,
      drainTimeoutS: 0,
      outDir,
    });
    expect(open).toMatchObject({ stoppedBy: 'duration', loop: { kind: 'open', ratePerS: 4 }, totals: { submitted: 4, abandoned: 4 } });
    expect(open.phases.loadEndS).toBeGreaterThanOrEqual(1); // the load phase lasts the whole duration, not until the last submission

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = performance.now();
    const aborted = await runLoadBench(
      { url: fake.url, durationS: 30, concurrency: 2, points: 10, sampleIntervalMs: 100, outDir },
      { signal: controller.signal },
    );
    expect((performance.now() - started) / 1000).toBeLessThan(10); // aborted at 0.5 s of a 30 s run
    expect(aborted).toMatchObject({ stoppedBy: 'aborted', totals: { submitted: 2, abandoned: 2 } });
    expect(fake.cancelCalls).toBe(5 + 4 + 2);
    expect(JSON.parse(await readFile(join(outDir, 'summary.json'), 'utf8')).stoppedBy).toBe('aborted');
  });

  it('counts an unreachable gateway as errors and still ends on time', async () => {
    const { fake, outDir } = await setup({
      inCluster: false,
      pointsPerMsPerWorker: 1,
      replicas: () => ({ desired: 1, current: 1, ready: 1 }),
    });
    const url = fake.url;
    await fake.stop();
    const summary = await runLoadBench({ url, durationS: 1, concurrency: 1, sampleIntervalMs: 200, drainTimeoutS: 1, outDir });
    expect(summary.phases.endS).toBeLessThan(1 + 1 + 0.5); // at most duration + drain timeout: nothing was in flight
    expect(summary.totals.accepted).toBe(0);
    expect(summary.totals.rejected).toBe(summary.totals.submitted);
    // Closed loop backs off a quarter sample interval (50 ms) after each failure: about 1000 / 50 tries.
    expect(summary.totals.submitted).toBeGreaterThanOrEqual(5);
    expect(summary.totals.submitted).toBeLessThanOrEqual(22);
    expect(summary.errors.byCode.NETWORK_ERROR).toBe(summary.errors.total);
    expect(summary.errors.byEndpoint.status).toBe(summary.samples);
  });
});

describe('load-bench CLI', () => {
  it('prints help and exits 0; reports every bad flag and exits 2', async () => {
    const out: string[] = [];
    const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    try {
      expect(await main(['--help'])).toBe(0);
      expect(out.join('')).toContain('--drain-timeout N');
      out.length = 0;
      expect(await main(['--url', 'http://192.0.2.1', '--duration', '9999'])).toBe(2);
      expect(out.join('')).toMatch(/--duration: must be a number from 1 to 3600[\s\S]*--url: must be a loopback host/);
    } finally {
      spyOut.mockRestore();
      spyErr.mockRestore();
    }
  });
});
