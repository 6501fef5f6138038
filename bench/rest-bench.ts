/**
 * The REST API under load, through real processes on loopback (as harness/cluster.ts starts them): one coordinator, one worker and
 * two gateways on the same coordinator, one without request logging (the default) and one with it
 * (PIGRID_LOG_REQUESTS=true), measured alternately so both see the same machine.
 *
 * The load generator runs as its own process (a real HTTP client with its own event loop; it shares the two cores
 * with the gateway and the coordinator either way): wrk when it is installed (Debian package `wrk`; C, about half the
 * CPU per request of a Node client and a quarter of autocannon's, docs/performance.md "Load generator"), else
 * autocannon (`autocannon --json`), and the report says which. Each round runs, on
 * each gateway, `connections` connections for `durationS` seconds against:
 * - GET /healthz (Fastify's full path, hooks and security headers with nothing behind them; a known calculation's GET
 *   takes the shorter wire path, gateway/wire-reads.ts, so it is no ceiling for GETs);
 * - GET /api/calculate/{id} of a completed calculation (served from the gateway's memory with its ETag);
 * - GET /api/calculate/{id} of a running one (served from the latest snapshot of the gateway's shared Watch);
 * - POST /api/calculate of small single-mode calculations (a gRPC Submit each, stored by the coordinator's group
 *   commit). The bench raises the write rate limit (PIGRID_RATE_LIMIT_MAX) and the active-calculation caps
 *   (PIGRID_MAX_ACTIVE_CALCULATIONS, PIGRID_MAX_ACTIVE_PER_CLIENT), and waits for the backlog to drain after each run.
 * Then `sseClients` clients follow one running calculation over Server-Sent Events
 * (PIGRID_MAX_EVENT_STREAMS[_PER_CLIENT] raised): the gateway's RSS before, with all connected, and after; the
 * upstream Watch streams the gateway holds (its pigrid_gateway_upstream_watches gauge); and that every client got the
 * `end` event.
 *
 * The running calculation's worker runs on spare CPU only (bench/spare-cpu.ts: its own session and autogroup at nice
 * 19, every thread SCHED_IDLE), so it advances without taking cores from what is measured; it is stopped (SIGSTOP)
 * while the SSE clients connect, so the calculation is still running when the last one has connected.
 *
 * `PIGRID_BENCH_GATEWAY_DIST` (a build's dist/ directory, e.g. another checkout's) runs the two gateways from that build
 * instead of this one, for before/after runs of a gateway change with everything else the same.
 *
 * Every process runs as deployed (dist/main.js, mutual TLS between them, JSON log lines on stdout); once it is ready its
 * stdout is a pipe this process drains without parsing (harness `stdout: 'drain-after-ready'`), as a container
 * runtime drains it: parsing and rendering a line per request here took 12–19 µs of this process's CPU
 * per logged GET on the same two cores (docs/performance.md "REST GET: the bench's own artefacts").
 */
import { spawn } from 'node:child_process';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { startWorker } from '../harness/cluster.js';
import { startProcess, stopAll, tempDbPath, type Proc } from '../harness/processes.js';
import { http, submit, until, waitDone, type CalcJson } from '../harness/rest.js';
import { appRoot } from '../shared/paths.js';
import { processCpuS, processRssMb } from './proc-stats.js';
import { toNormalCpu, toSpareCpu } from './spare-cpu.js';
import { summarize, type Summary } from './stats.js';
import { findWrk, runWrk } from './wrk-load.js';

export interface RestBenchOptions {
  /** Rounds; each runs every target on each gateway once. @default 3 */
  rounds: number;
  /** Seconds of each load-generator run. @default 5 */
  durationS: number;
  /** Concurrent connections of each run. @default 64 */
  connections: number;
  /** Concurrent SSE clients on one calculation. @default 1000 */
  sseClients: number;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

export const TARGETS = ['healthz', 'getCompleted', 'getRunning', 'post'] as const;
export type Target = (typeof TARGETS)[number];
export const GATEWAYS = ['plain', 'logged'] as const;
export type GatewayKind = (typeof GATEWAYS)[number];

/** One target on one gateway over the rounds: median and spread of each figure. */
export interface TargetFigures {
  reqPerSecond: Summary;
  p50Ms: Summary;
  p99Ms: Summary;
  /** Gateway CPU time (user + system) per request, µs: what a request costs whatever else runs on the machine. */
  gatewayCpuUs: Summary;
  /** The load generator's own CPU time per request, µs (wrk; not measured for autocannon). */
  generatorCpuUs?: Summary;
  /** The coordinator's CPU time per request over the same run, µs: its share of the machine while the GETs run. */
  coordinatorCpuUs: Summary;
  /** The worker's CPU time per request over the same run, µs (it runs the running calculation on spare CPU). */
  workerCpuUs: Summary;
  /** This process's own CPU time per request over the same run, µs (it waits for the generator and drains stdout). */
  benchCpuUs: Summary;
  /** Answers other than 2xx and connection errors, summed over the rounds. */
  non2xx: number;
  errors: number;
}

export interface SseFigures {
  clients: number;
  /** Gateway VmRSS, MB. */
  rssBeforeMb: number;
  rssConnectedMb: number;
  rssAfterMb: number;
  /** Highest VmRSS seen (sampled every 100 ms) from the first connection to the last `end`. */
  rssPeakMb: number;
  /** pigrid_gateway_upstream_watches while every client was connected. */
  upstreamWatches: number;
  /** pigrid_gateway_event_streams while every client was connected. */
  eventStreams: number;
  /** Clients whose stream ended with an `end` event. */
  gotEnd: number;
  /** Progress events per client (median, min, max). */
  progressEvents: Summary;
  /** From SIGCONT of the worker to the last client's `end`. */
  endMs: number;
  /** Time to connect every client and see its first event. */
  connectMs: number;
}

export interface RestBenchResult {
  options: Omit<RestBenchOptions, 'log'>;
  /** The load generator used: wrk when installed, else autocannon. */
  generator: 'wrk' | 'autocannon';
  /** How the worker was put on spare CPU (bench/spare-cpu.ts). */
  workerPriority: string;
  figures: Record<GatewayKind, Record<Target, TargetFigures>>;
  sse: SseFigures;
}

/** What the bench measures around one generator run, per request, µs. */
interface Measured {
  cpuUs: number;
  coordinatorCpuUs: number;
  workerCpuUs: number;
  benchCpuUs: number;
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  /** Set for wrk runs. */
  generatorCpuUs?: number;
}

const AUTOCANNON = join(appRoot(), 'node_modules', 'autocannon', 'autocannon.js');

/** One wrk run against `url`; its result in autocannon's shape. */
async function wrkRun(wrk: string, url: string, connections: number, durationS: number, post = false): Promise<AutocannonJson> {
  const r = await runWrk(wrk, url, connections, durationS, post ? { body: POST_BODY, contentType: 'application/json' } : undefined);
  return {
    requests: { average: r.reqPerSecond, total: r.requests },
    latency: { p50: r.p50Ms, p99: r.p99Ms },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: 0,
    duration: r.durationS,
    generatorCpuUs: r.cpuUsPerRequest,
  };
}

/** Raised bounds so the bench measures the HTTP path, not the limits (each is a documented env var). */
const GATEWAY_ENV = {
  PIGRID_RATE_LIMIT_MAX: '1000000',
  PIGRID_MAX_EVENT_STREAMS: '100000',
  PIGRID_MAX_EVENT_STREAMS_PER_CLIENT: '100000',
};
const COORDINATOR_ENV = { PIGRID_MAX_ACTIVE_CALCULATIONS: '1000000', PIGRID_MAX_ACTIVE_PER_CLIENT: '1000000' };
const POST_BODY = JSON.stringify({ points: 1000, mode: 'single', seed: 1 });

/** One autocannon process against `url`; resolves with its JSON report. */
function autocannon(url: string, connections: number, durationS: number, post = false): Promise<AutocannonJson> {
  const args = [AUTOCANNON, '--json', '--no-progress', '-c', String(connections), '-d', String(durationS)];
  if (post) args.push('-m', 'POST', '-H', 'content-type=application/json', '-b', POST_BODY);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out) as AutocannonJson);
      } catch (e) {
        reject(new Error(`autocannon printed no JSON: ${(e as Error).message}\n${out}\n${err}`));
      }
    });
  });
}

/** CPU time a process used so far, ms (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms). */

async function gauge(url: string, name: string): Promise<number> {
  const r = await http(`${url}/metrics`);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text);
  if (!m) throw new Error(`the gateway's /metrics has no ${name}`);
  return Number(m[1]);
}

async function activeCalculations(url: string): Promise<number> {
  const r = await http(`${url}/api/k8s/status`);
  return (r.json as { coordinator: { active_calculations: number } }).coordinator.active_calculations;
}

/** Waits until only `baseline` calculations are active (the POST backlog has drained). */
async function drained(url: string, baseline: number): Promise<void> {
  await until('the submitted calculations to finish', async () => (await activeCalculations(url)) <= baseline, 300_000, 200);
}

interface SseClient {
  /** Resolves when the first event arrived. */
  readonly first: Promise<void>;
  /** Resolves when the stream closed: whether an `end` event came, and how many `progress` events. */
  readonly done: Promise<{ end: boolean; progress: number }>;
}

function sseClient(url: string, agent: Agent): SseClient {
  let firstSeen: () => void = () => {};
  const first = new Promise<void>((r) => (firstSeen = r));
  const done = new Promise<{ end: boolean; progress: number }>((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      let progress = 0;
      let end = false;
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const event = /^event: (\w+)/.exec(buf.slice(0, i))?.[1];
          buf = buf.slice(i + 2);
          if (event === 'progress') progress += 1;
          if (event === 'end') end = true;
          if (event) firstSeen();
        }
      });
      res.on('end', () => resolve({ end, progress }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { first, done };
}

const statusOf = async (url: string, id: string) => ((await http(`${url}/api/calculate/${id}`)).json as CalcJson).status;

async function runSse(url: string, gateway: Proc, worker: Proc, clients: number): Promise<SseFigures> {
  // 20 chunks of 10^9 points: a few seconds of one worker thread once it runs again.
  const calc = await submit(url, { points: 20e9, mode: 'distributed', seed: 11, chunk_size: 1e9 });
  await until('the SSE calculation to start', async () => (await statusOf(url, calc.id)) === 'running');
  worker.child.kill('SIGSTOP');
  let sampler: NodeJS.Timeout | undefined;
  try {
    const rssBeforeMb = processRssMb(gateway.child.pid!);
    let rssPeakMb = rssBeforeMb;
    sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, processRssMb(gateway.child.pid!))), 100);
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const t0 = performance.now();
    const all: SseClient[] = [];
    // Connect in batches so the listen backlog never overflows.
    for (let i = 0; i < clients; i += 100) {
      const batch = Array.from({ length: Math.min(100, clients - i) }, () => sseClient(`${url}/api/calculate/${calc.id}/events`, agent));
      all.push(...batch);
      await Promise.all(batch.map((c) => c.first));
    }
    const connectMs = performance.now() - t0;
    const rssConnectedMb = processRssMb(gateway.child.pid!);
    const upstreamWatches = await gauge(url, 'pigrid_gateway_upstream_watches');
    const eventStreams = await gauge(url, 'pigrid_gateway_event_streams');
    const t1 = performance.now();
    // Full priority from here: the calculation should end now, whatever else the machine runs.
    toNormalCpu(worker.child.pid!);
    worker.child.kill('SIGCONT');
    const results = await Promise.all(all.map((c) => c.done));
    const endMs = performance.now() - t1;
    const rssAfterMb = processRssMb(gateway.child.pid!);
    clearInterval(sampler);
    rssPeakMb = Math.max(rssPeakMb, rssConnectedMb, rssAfterMb);
    agent.destroy();
    return {
      clients,
      rssBeforeMb,
      rssConnectedMb,
      rssAfterMb,
      rssPeakMb,
      upstreamWatches,
      eventStreams,
      gotEnd: results.filter((r) => r.end).length,
      progressEvents: summarize(results.map((r) => r.progress)),
      endMs,
      connectMs,
    };
  } finally {
    clearInterval(sampler);
    worker.child.kill('SIGCONT');
  }
}

export async function runRestBench(opts: Partial<RestBenchOptions> = {}): Promise<RestBenchResult> {
  const o: RestBenchOptions = { rounds: 3, durationS: 5, connections: 64, sseClients: 1000, ...opts };
  const log = o.log ?? (() => {});
  const wrk = findWrk();
  const drainStdout = { stdout: 'drain-after-ready' } as const;
  try {
    // The processes of harness/cluster.ts's startCluster, the worker in its own session (bench/spare-cpu.ts).
    const worker = await startWorker('worker-1', 1, {}, { ownSession: true, ...drainStdout });
    const workerPriority = toSpareCpu(worker.child.pid!);
    const coordinator = await startProcess(
      'coordinator',
      'coordinator',
      { PIGRID_GRPC_PORT: '0', PIGRID_DB_PATH: tempDbPath(), PIGRID_WORKERS: worker.ready.grpc, PIGRID_THREADS: '1', ...COORDINATOR_ENV },
      undefined,
      1_000,
      [],
      undefined,
      drainStdout,
    );
    const gatewayDist = process.env.PIGRID_BENCH_GATEWAY_DIST;
    const gatewayMain = gatewayDist ? join(gatewayDist, 'main.js') : undefined;
    const gateway = (name: string, logRequests: boolean) =>
      startProcess(
        name,
        'gateway',
        { PIGRID_HTTP_PORT: '0', PIGRID_COORDINATOR: coordinator.ready.grpc, ...GATEWAY_ENV, PIGRID_LOG_REQUESTS: String(logRequests) },
        20_000,
        1_000,
        [],
        gatewayMain,
        drainStdout,
      );
    const plain = await gateway('gateway', false);
    const logged = await gateway('gateway-logged', true);
    const apiUrl = plain.ready.url;
    const urls: Record<GatewayKind, string> = { plain: plain.ready.url, logged: logged.ready.url };
    const pids: Record<GatewayKind, number> = { plain: plain.child.pid!, logged: logged.child.pid! };

    const completed = await waitDone(apiUrl, (await submit(apiUrl, { points: 1000, mode: 'single', seed: 2 })).id);
    // 10^13 points: hours on a nice-19 worker; cancelled at the end.
    const running = await submit(apiUrl, { points: 1e13, mode: 'distributed', seed: 3, chunk_size: 1e9 });
    const baseline = await activeCalculations(apiUrl);
    const path: Record<Target, string> = {
      healthz: '/healthz',
      getCompleted: `/api/calculate/${completed.id}`,
      getRunning: `/api/calculate/${running.id}`,
      post: '/api/calculate',
    };
    const runOnce = async (gw: GatewayKind, t: Target, durationS: number) => {
      const cpu0 = processCpuS(pids[gw]);
      const coordinatorCpu0 = processCpuS(coordinator.child.pid!);
      const workerCpu0 = processCpuS(worker.child.pid!);
      const benchCpu0 = process.cpuUsage();
      const url = `${urls[gw]}${path[t]}`;
      const r = wrk
        ? await wrkRun(wrk, url, o.connections, durationS, t === 'post')
        : await autocannon(url, o.connections, durationS, t === 'post');
      const perRequest = (s: number) => (s * 1e6) / Math.max(1, r.requests.total);
      const cpuUs = perRequest(processCpuS(pids[gw]) - cpu0);
      const coordinatorCpuUs = perRequest(processCpuS(coordinator.child.pid!) - coordinatorCpu0);
      const workerCpuUs = perRequest(processCpuS(worker.child.pid!) - workerCpu0);
      const benchCpu = process.cpuUsage(benchCpu0);
      const benchCpuUs = perRequest((benchCpu.user + benchCpu.system) / 1e6);
      if (t === 'post') {
        // The POSTed calculations run on the worker: at full priority while waiting for them (not measured).
        toNormalCpu(worker.child.pid!);
        await drained(apiUrl, baseline);
        toSpareCpu(worker.child.pid!);
      }
      return { ...r, cpuUs, coordinatorCpuUs, workerCpuUs, benchCpuUs };
    };

    for (const gw of GATEWAYS) for (const t of TARGETS) await runOnce(gw, t, 1); // warm-up: JIT, connections
    const raw = Object.fromEntries(
      GATEWAYS.map((gw) => [gw, Object.fromEntries(TARGETS.map((t) => [t, [] as (AutocannonJson & Measured)[]]))]),
    ) as Record<GatewayKind, Record<Target, (AutocannonJson & Measured)[]>>;
    for (let round = 0; round < o.rounds; round++) {
      for (const gw of GATEWAYS) {
        for (const t of TARGETS) {
          const r = await runOnce(gw, t, o.durationS);
          raw[gw][t].push(r);
          log(
            `round ${round + 1} ${gw} ${t}: ${r.requests.average.toFixed(0)} req/s, p50 ${r.latency.p50.toFixed(1)} ms, p99 ${r.latency.p99.toFixed(1)} ms, gateway CPU ${r.cpuUs.toFixed(0)} µs/request, coordinator CPU ${r.coordinatorCpuUs.toFixed(0)} µs/request, worker ${r.workerCpuUs.toFixed(0)}, bench ${r.benchCpuUs.toFixed(0)}${r.generatorCpuUs === undefined ? '' : `, generator CPU ${r.generatorCpuUs.toFixed(0)} µs/request`}, non-2xx ${r.non2xx}, errors ${r.errors}`,
          );
        }
      }
    }
    const status = await statusOf(apiUrl, running.id);
    if (status !== 'running') throw new Error(`the "running" calculation was ${status} by the end of the GET runs`);
    await http(`${apiUrl}/api/calculate/${running.id}/cancel`, 'POST');
    await waitDone(apiUrl, running.id);
    // The cancelled calculation's Watch has ended: the SSE calculation's is the only one left.
    await until('the cancelled calculation to be unfollowed', async () => (await gauge(apiUrl, 'pigrid_gateway_upstream_watches')) === 0);

    log(`SSE: ${o.sseClients} clients`);
    const sse = await runSse(apiUrl, plain, worker, o.sseClients);

    const figures = Object.fromEntries(
      GATEWAYS.map((gw) => [
        gw,
        Object.fromEntries(
          TARGETS.map((t) => {
            const rs = raw[gw][t];
            return [
              t,
              {
                reqPerSecond: summarize(rs.map((r) => r.requests.average)),
                p50Ms: summarize(rs.map((r) => r.latency.p50)),
                p99Ms: summarize(rs.map((r) => r.latency.p99)),
                gatewayCpuUs: summarize(rs.map((r) => r.cpuUs)),
                coordinatorCpuUs: summarize(rs.map((r) => r.coordinatorCpuUs)),
                workerCpuUs: summarize(rs.map((r) => r.workerCpuUs)),
                benchCpuUs: summarize(rs.map((r) => r.benchCpuUs)),
                ...(rs.every((r) => r.generatorCpuUs !== undefined) ? { generatorCpuUs: summarize(rs.map((r) => r.generatorCpuUs!)) } : {}),
                non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
                errors: rs.reduce((s, r) => s + r.errors + r.timeouts, 0),
              },
            ];
          }),
        ),
      ]),
    ) as Record<GatewayKind, Record<Target, TargetFigures>>;
    const { log: _log, ...options } = o;
    return { options, generator: wrk ? 'wrk' : 'autocannon', workerPriority, figures, sse };
  } finally {
    await stopAll();
  }
}

const LABELS: Record<Target, string> = {
  healthz: 'GET /healthz (Fastify path)   ',
  getCompleted: 'GET /api/calculate/{id} ended  ',
  getRunning: 'GET /api/calculate/{id} running',
  post: 'POST /api/calculate (single)   ',
};

const range = (s: Summary, digits: number) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

export function formatRestBench(r: RestBenchResult): string {
  const o = r.options;
  const lines = [
    `REST (worker on spare CPU: ${r.workerPriority}; gateways' stdout drained unparsed; load generator in its own process: ${r.generator === 'wrk' ? 'wrk' : 'autocannon (wrk not installed: apt-get install wrk)'}; ${o.connections} connections x ${o.durationS} s, ${o.rounds} rounds; gateway, coordinator and generator share the machine;`,
    '  median (min–max) over the rounds; limits raised: PIGRID_RATE_LIMIT_MAX, PIGRID_MAX_ACTIVE_CALCULATIONS, PIGRID_MAX_ACTIVE_PER_CLIENT, PIGRID_MAX_EVENT_STREAMS[_PER_CLIENT]):',
  ];
  for (const gw of GATEWAYS) {
    lines.push(gw === 'plain' ? '  request logging off (PIGRID_LOG_REQUESTS=false):' : '  request logging on (the default):');
    for (const t of TARGETS) {
      const f = r.figures[gw][t];
      const bad = f.non2xx + f.errors > 0 ? `  non-2xx ${f.non2xx}, errors ${f.errors}` : '';
      const generator = f.generatorCpuUs ? `   generator CPU ${range(f.generatorCpuUs, 0)} µs/request` : '';
      const coordinator = `   coordinator CPU ${range(f.coordinatorCpuUs, 0)} µs/request   worker ${range(f.workerCpuUs, 0)}   bench ${range(f.benchCpuUs, 0)}`;
      lines.push(
        `    ${LABELS[t]}  ${range(f.reqPerSecond, 0)} req/s   p50 ${range(f.p50Ms, 0)} ms   p99 ${range(f.p99Ms, 0)} ms   gateway CPU ${range(f.gatewayCpuUs, 0)} µs/request${generator}${coordinator}${bad}`,
      );
    }
  }
  const ratio = (t: Target) => (r.figures.logged[t].reqPerSecond.median / r.figures.plain[t].reqPerSecond.median).toFixed(2);
  lines.push(`  req/s with / without request logging: ${TARGETS.map((t) => `${t} ${ratio(t)}`).join(', ')}`);
  const s = r.sse;
  lines.push(
    `SSE: ${s.clients} clients on one running calculation: connected in ${(s.connectMs / 1000).toFixed(1)} s; gateway RSS ${s.rssBeforeMb.toFixed(0)} MB before, ` +
      `${s.rssConnectedMb.toFixed(0)} MB connected, ${s.rssAfterMb.toFixed(0)} MB after the end, peak ${s.rssPeakMb.toFixed(0)} MB (+${(s.rssPeakMb - s.rssBeforeMb).toFixed(0)} MB); ` +
      `upstream Watch streams ${s.upstreamWatches}, event streams open ${s.eventStreams}; ` +
      `'end' received by ${s.gotEnd}/${s.clients} within ${(s.endMs / 1000).toFixed(1)} s of the worker resuming; progress events per client median ${s.progressEvents.median} (${s.progressEvents.min}–${s.progressEvents.max})`,
  );
  return lines.join('\n');
}
