/**
 * Dispatch benchmark: the coordinator alone against N simulated workers over real gRPC (bench/sim/simulated-workers.ts,
 * in their own process, answering every lease at once), 1,000-point chunks, verification off. The simulated workers
 * accept chunk spans, so a lease may cover several chunks; `spans: false` starts the coordinator with
 * PIGRID_MAX_SPAN_CHUNKS=1 (every lease one chunk, as before spans). For each N it prints chunks leased+committed per
 * second, leases per second and mean chunks per lease (from the coordinator's pigrid_leases_granted_total), coordinator
 * CPU per chunk, coordinator RSS once the workers are connected, at its peak and at the end, and the latency of GET
 * /api/calculate/{id} through the gateway while the coordinator is busy (the API must stay responsive under dispatch
 * load).
 *
 * PIGRID_BENCH_CPU_PROF_DIR=<dir> runs the coordinator under `node --cpu-prof` and stops it with SIGTERM after each
 * run, leaving one .cpuprofile per run (and per pool thread) there. PIGRID_BENCH_COORDINATOR_NODE_ARGS (space-separated) adds
 * node options to the coordinator (e.g. `--trace-gc`, or `--import=<file>` for a sampler). PIGRID_BENCH_COORDINATOR_ROOT=<dir>
 * runs the coordinator of another checkout's build (<dir>/dist/main.js; e.g. the main branch, for before/after runs).
 * PIGRID_BENCH_GATEWAY_NODE_ARGS does for the gateway what PIGRID_BENCH_COORDINATOR_NODE_ARGS does for the coordinator.
 * bench/stall-sampler.ts is such a sampler (PIGRID_STALL_TURNS=1 is passed on to the coordinator for its loop turns).
 * PIGRID_BENCH_GET_LOG=<file> appends every measured GET (its start, wall-clock ms since the epoch, and its latency)
 * as a JSON line, to line up slow GETs with a sampler's log of the processes' GC pauses and event-loop blocks.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { appRoot } from '../shared/paths.js';
import { startProcess, stopAll, tempDbPath } from '../harness/processes.js';
import { http, poolView, submit, until, waitDone } from '../harness/rest.js';
import { processCpuS, processRssMb } from './proc-stats.js';
import { summarize, type Summary } from './stats.js';

export interface DispatchRun {
  readonly workers: number;
  /** Spans on (the default settings) or off (PIGRID_MAX_SPAN_CHUNKS=1). */
  readonly spans: boolean;
  readonly chunks: number;
  readonly chunksPerSecond: number;
  /** Leases granted during the run (any purpose), per second, and chunks per lease. */
  readonly leasesPerSecond: number;
  readonly chunksPerLease: number;
  /** Coordinator CPU (user + system) per committed chunk, microseconds. */
  readonly cpuUsPerChunk: number;
  /** Coordinator CPU share of one core during the run. */
  readonly cpuShare: number;
  /** The simulated workers' process CPU per committed chunk, microseconds (it shares the machine's cores). */
  readonly simCpuUsPerChunk: number;
  /**
   * Signs that the simulator is not an honest stand-in: chunks the coordinator released to be leased again (expired
   * leases, lost streams: pigrid_chunks_released_total) and straggler backups granted (leases of kind `backup`) during
   * the run. Both should be 0: the simulated workers answer every lease at once.
   */
  readonly chunksReleased: number;
  /** The same, by release reason (`expired`, `worker_lost`, ...), only the reasons that occurred. */
  readonly releasedBy: Readonly<Record<string, number>>;
  readonly backupLeases: number;
  readonly rssConnectedMb: number;
  /** The coordinator's peak RSS over its life (VmHWM), read at the end: the run's peak. */
  readonly rssPeakMb: number;
  readonly rssEndMb: number;
  /** GET /api/calculate/{id} through the gateway while the run was going, milliseconds. */
  readonly getMs: Summary;
  /**
   * The run's first GET, milliseconds, sent right after the submit while the coordinator sends the first wave and
   * reads its answers. The gateway answers it from its own submit's answer and starts following the calculation with
   * a Watch (docs/performance.md, "The first GET after a submit"); a gateway without that asked the coordinator, and
   * the unary call waited there for several turns of its event loop ("1,000 workers: the stalls").
   */
  readonly getFirstMs: number;
  /** The later GETs, answered from the gateway's memory (the Watch's latest snapshot), milliseconds. */
  readonly getLaterMs: Summary;
  /**
   * GET of a calculation id nobody submitted (404), every fourth probe, milliseconds: the gateway asks the coordinator
   * each time, so this is an API call's round trip through the coordinator while it dispatches.
   */
  readonly getUnknownMs: Summary;
  /** Of those, the ones not answered 404 (the gateway's call to the coordinator failed or timed out). */
  readonly getUnknownFailed: number;
}

async function startSimulator(count: number): Promise<{ addresses: string[]; pid: number; stop(): void }> {
  const child = spawn(process.execPath, [join(appRoot(), 'dist', 'bench', 'sim', 'simulated-workers.js'), String(count), '8'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (l) => l.startsWith('addresses=') && resolve(l));
    child.on('exit', (code) => reject(new Error(`simulated workers exited (${code})`)));
  });
  return { addresses: line.slice('addresses='.length).split(','), pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

/** The coordinator's counters the bench reads, so far. */
interface Counters {
  /** pigrid_leases_granted_total, every purpose. */
  readonly leases: number;
  /** pigrid_leases_granted_total{kind="backup"}. */
  readonly backups: number;
  /** pigrid_chunks_released_total, every reason. */
  readonly released: number;
  /** pigrid_chunks_released_total by reason. */
  readonly releasedBy: Readonly<Record<string, number>>;
}

async function counters(metricsAddress: string): Promise<Counters> {
  const text = (await http(`http://${metricsAddress}/metrics`)).text;
  let leases = 0;
  let backups = 0;
  let released = 0;
  const releasedBy: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const value = () => Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('pigrid_leases_granted_total{')) {
      leases += value();
      if (line.includes('kind="backup"')) backups += value();
    } else if (line.startsWith('pigrid_chunks_released_total{')) {
      released += value();
      const reason = /reason="([^"]*)"/.exec(line)?.[1] ?? '?';
      releasedBy[reason] = (releasedBy[reason] ?? 0) + value();
    }
  }
  return { leases, backups, released, releasedBy };
}

/**
 * `spans`: which settings to run each pool size with: spans on (the defaults), off (PIGRID_MAX_SPAN_CHUNKS=1), or
 * both, on then off for each size (alternated, so they share the minute's machine load). @default ['on']
 */
export async function runDispatchBench(opts: {
  workers: readonly number[];
  chunks: number;
  spans?: readonly ('on' | 'off')[];
}): Promise<DispatchRun[]> {
  const out: DispatchRun[] = [];
  for (const n of opts.workers) for (const mode of opts.spans ?? ['on']) out.push(await runOne(n, opts.chunks, mode === 'on'));
  return out;
}

async function runOne(n: number, chunks: number, spans: boolean): Promise<DispatchRun> {
  const profileDir = process.env.PIGRID_BENCH_CPU_PROF_DIR;
  const extraArgs = (process.env.PIGRID_BENCH_COORDINATOR_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const otherRoot = process.env.PIGRID_BENCH_COORDINATOR_ROOT;
  const gatewayArgs = (process.env.PIGRID_BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const getLog = process.env.PIGRID_BENCH_GET_LOG;
  const sim = await startSimulator(n);
  let coordinatorProc: Awaited<ReturnType<typeof startProcess>> | undefined;
  try {
    const coordinator = await startProcess(
      'coordinator',
      'coordinator',
      {
        PIGRID_GRPC_PORT: '0',
        PIGRID_DB_PATH: tempDbPath(),
        PIGRID_WORKERS: sim.addresses.join(','),
        PIGRID_THREADS: '1',
        PIGRID_VERIFY_RATE: '0',
        PIGRID_VERIFY_FIRST: '0',
        // The simulated workers serve plaintext: this bench measures dispatch, not TLS.
        PIGRID_INSECURE: 'true',
        // Scraped before and after the measured run (leases granted).
        PIGRID_METRICS_PORT: '0',
        ...(spans ? {} : { PIGRID_MAX_SPAN_CHUNKS: '1' }),
        // For bench/stall-sampler.ts preloaded into the coordinator: time its event-loop turns.
        ...(process.env.PIGRID_STALL_TURNS ? { PIGRID_STALL_TURNS: process.env.PIGRID_STALL_TURNS } : {}),
      },
      60_000,
      Infinity,
      [...extraArgs, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
      otherRoot ? join(otherRoot, 'dist', 'main.js') : undefined,
    );
    coordinatorProc = coordinator;
    const gateway = await startProcess(
      'gateway',
      'gateway',
      {
        PIGRID_HTTP_PORT: '0',
        PIGRID_COORDINATOR: coordinator.ready.grpc,
        PIGRID_INSECURE: 'true',
      },
      60_000,
      Infinity,
      gatewayArgs,
    );
    const url = gateway.ready.url;
    const pid = coordinator.child.pid!;
    // While 1,000 links dial in, a status call may time out at the coordinator: poll again, and name the last
    // such error if the workers never all connect.
    let statusError = 'none';
    await until(
      `${n} workers connected`,
      async () => {
        try {
          return (await poolView(url)).workers.length >= n ? true : undefined;
        } catch (err) {
          statusError = (err as Error).message;
          return undefined;
        }
      },
      120_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last status error: ${statusError})`);
    });
    // Warm up the path (JIT, prepared statements), then measure.
    await waitDone(url, (await submit(url, { points: 2000 * 1000, mode: 'distributed', seed: 1, chunk_size: 1000 })).id, 120_000);
    const rssConnectedMb = processRssMb(pid);
    const counters0 = await counters(coordinator.ready.metrics);
    const cpu0 = processCpuS(pid);
    const simCpu0 = processCpuS(sim.pid);
    const t0 = performance.now();
    const calc = await submit(url, { points: chunks * 1000, mode: 'distributed', seed: 2, chunk_size: 1000 });
    const gets: number[] = [];
    const getStarts: number[] = [];
    let running = true;
    const unknownGets: number[] = [];
    let unknownFailed = 0;
    const prober = (async () => {
      for (let probe = 0; running; probe++) {
        if (probe % 4 === 3) {
          const t = performance.now();
          // 404, or 503/504 when the gateway's call to the coordinator failed or timed out (counted apart).
          if ((await http(`${url}/api/calculate/${randomUUID()}`)).status !== 404) unknownFailed += 1;
          unknownGets.push(performance.now() - t);
        }
        const t = performance.now();
        await http(`${url}/api/calculate/${calc.id}`);
        gets.push(performance.now() - t);
        getStarts.push(performance.timeOrigin + t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const done = await waitDone(url, calc.id, 600_000);
    running = false;
    await prober;
    const wallS = (performance.now() - t0) / 1000;
    if (getLog) {
      const rows = gets.map((ms, i) => JSON.stringify({ workers: n, t: Math.round(getStarts[i]), ms: Math.round(ms * 10) / 10 }));
      appendFileSync(getLog, `${rows.join('\n')}\n`);
    }
    const cpuS = processCpuS(pid) - cpu0;
    const simCpuS = processCpuS(sim.pid) - simCpu0;
    const counters1 = await counters(coordinator.ready.metrics);
    const leases = counters1.leases - counters0.leases;
    if (done.status !== 'completed') throw new Error(`dispatch run ended ${done.status}`);
    const seconds = (done.duration_ms ?? wallS * 1000) / 1000;
    return {
      workers: n,
      spans,
      chunks,
      chunksPerSecond: chunks / seconds,
      leasesPerSecond: leases / seconds,
      chunksPerLease: chunks / Math.max(1, leases),
      cpuUsPerChunk: (cpuS * 1e6) / chunks,
      cpuShare: cpuS / wallS,
      simCpuUsPerChunk: (simCpuS * 1e6) / chunks,
      chunksReleased: counters1.released - counters0.released,
      releasedBy: Object.fromEntries(
        Object.entries(counters1.releasedBy)
          .map(([reason, n]) => [reason, n - (counters0.releasedBy[reason] ?? 0)] as const)
          .filter(([, n]) => n > 0),
      ),
      backupLeases: counters1.backups - counters0.backups,
      rssConnectedMb,
      rssPeakMb: processRssMb(pid, 'VmHWM'),
      rssEndMb: processRssMb(pid),
      getMs: summarize(gets.length > 0 ? gets : [0]),
      getFirstMs: gets[0] ?? 0,
      getLaterMs: summarize(gets.length > 1 ? gets.slice(1) : [0]),
      getUnknownMs: summarize(unknownGets.length > 0 ? unknownGets : [0]),
      getUnknownFailed: unknownFailed,
    };
  } finally {
    sim.stop();
    if (profileDir && coordinatorProc) {
      // A profile is written only on a clean exit.
      coordinatorProc.kill('SIGTERM');
      await coordinatorProc.exited;
    }
    await stopAll();
  }
}
