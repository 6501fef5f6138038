/**
 * The gateway alone under GET load, for comparing two builds: each build's `dist/` gateway app (buildApp, its logger
 * and log destination as gateway/main.ts makes them) runs in its own process with an in-process fake coordinator, on
 * loopback, and wrk drives it; the gateway's CPU per request comes from its /proc stat. Builds and request logging
 * (off / on) are alternated run by run, so every variant sees the same minutes of a shared machine.
 *
 *   node dist/bench/gateway-rig.js --builds=/work/main/dist,dist [--pairs=6] [--duration=3] [--targets=ended,running,healthz]
 *     [--logging=off,on] [--connections=64]
 *
 * `post` (a target not run by default) POSTs the REST bench's small single-mode calculation; the fake coordinator
 * accepts it at once, so only the gateway's side of a submit is measured.
 *
 * A build may also be `bare-http` or `bare-fastify` (the floors: see bareServer).
 *
 * The fake coordinator answers `ended` (completed) and `running`; the running one's Watch sends a new snapshot every
 * 100 ms, as the coordinator's throttle does under load. The gateway's stdout (its log lines) goes to a pipe this
 * process reads and discards. Prints one line per run and a table of medians (min–max) per variant.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { processCpuTimesS } from './proc-stats.js';
import { summarize, type Summary } from './stats.js';
import { findWrk, runWrk } from './wrk-load.js';

interface ServerArgs {
  readonly dist: string;
  readonly logging: boolean;
}

/** A Calculation as proto-loader gives it to the gateway (the shape of test/fakes/calculation-output.ts, fuller). */
function calculation(id: string, status: string, chunksDone: number): Record<string, unknown> {
  return {
    id,
    status,
    mode: 'MODE_DISTRIBUTED',
    points: '10000000000000',
    pointsDone: String(chunksDone * 1e9),
    progress: chunksDone / 10_000,
    inside: String(chunksDone * 785_398_163),
    seed: '3',
    chunkSize: '1000000000',
    chunkCount: '10000',
    chunksDone: String(chunksDone),
    createdAtMs: '1796000000000',
    startedAtMs: '1796000000100',
    _startedAtMs: 'startedAtMs',
    ...(status === 'STATUS_COMPLETED'
      ? {
          finishedAtMs: '1796000009100',
          _finishedAtMs: 'finishedAtMs',
          durationMs: '9000',
          _durationMs: 'durationMs',
          resultPi: 3.14159,
          _resultPi: 'resultPi',
          stdError: 0.00001,
          _stdError: 'stdError',
        }
      : {}),
    error: '',
    errorCode: '',
    chunksReleased: '0',
    duplicateResults: '0',
    chunksVerified: '0',
    chunksRecomputed: '0',
    verifiedBy: [],
  };
}

/** A calculation's body as the gateway serves it (what the bare servers answer). */
const BARE_BODY = JSON.stringify({ ...calculation('ended', 'STATUS_COMPLETED', 10_000), verifiedBy: {} });

/**
 * The floors: `bare-http` (node:http, one handler) and `bare-fastify` (Fastify with one route), each answering every
 * GET with a calculation-sized JSON body; no hooks, no security headers, no logging.
 */
async function bareServer(kind: 'bare-http' | 'bare-fastify'): Promise<number> {
  if (kind === 'bare-http') {
    const { createServer } = await import('node:http');
    const s = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(BARE_BODY) });
      res.end(BARE_BODY);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as { port: number }).port;
  }
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/*', (_request, reply) => {
    reply.type('application/json; charset=utf-8').send(BARE_BODY);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as { port: number }).port;
}

async function server({ dist, logging }: ServerArgs): Promise<void> {
  if (dist === 'bare-http' || dist === 'bare-fastify') {
    const port = await bareServer(dist);
    announce(port);
    return;
  }
  const load = async <T>(rel: string) => (await import(pathToFileURL(resolve(dist, rel)).href)) as T;
  const { buildApp } = await load<typeof import('../gateway/app.js')>('gateway/app.js');
  const { createLogger } = await load<typeof import('../shared/logger.js')>('shared/logger.js');
  const { logDestination } = await load<typeof import('../gateway/log-destination.js')>('gateway/log-destination.js');
  const { createKubeReader } = await load<typeof import('../gateway/k8s/kube-reader.js')>('gateway/k8s/kube-reader.js');
  const settings = { level: 'info', format: 'json' } as const;
  const destination = logDestination(settings);
  const log = createLogger('gateway', settings, {}, destination?.lines);
  let tick = 5;
  let submitted = 0;
  const coordinator = {
    async get(id: string) {
      if (id === 'ended') return calculation(id, 'STATUS_COMPLETED', 10_000);
      if (id === 'running') return calculation(id, 'STATUS_RUNNING', tick);
      throw Object.assign(new Error('not found'), { code: 5, details: 'not found', metadata: { get: () => [] } });
    },
    watch(id: string, onData: (c: unknown) => void) {
      const timer = setInterval(() => onData(calculation(id, 'STATUS_RUNNING', ++tick)), 100);
      return () => clearInterval(timer);
    },
    // POST /api/calculate (target `post`): the coordinator's answer to a Submit, without the coordinator.
    async submit() {
      return calculation(`new-${++submitted}`, 'STATUS_PENDING', 0);
    },
    async clusterStatus() {
      return {};
    },
    close() {},
  };
  const app = buildApp({
    coordinator: coordinator as never,
    kube: await createKubeReader({ env: {} }),
    log,
    logRequests: logging,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  announce((app.server.address() as { port: number }).port);
}

/** Tells the parent (IPC) or whoever started the server by hand (stderr: `listening <port> <pid>`) where it listens. */
function announce(port: number): void {
  profileOnSignal();
  if (process.send) process.send({ port });
  else process.stderr.write(`listening ${port} ${process.pid}\n`);
}

/**
 * SIGUSR2 starts the inspector's sampler (200 µs), the next SIGUSR2 writes the profile to
 * `$RIG_PROFILE_DIR/gateway-<pid>-<n>.cpuprofile` (Chrome DevTools format), so a profile covers only the load.
 */
function profileOnSignal(): void {
  const dir = process.env.RIG_PROFILE_DIR;
  if (!dir) return;
  const session = new Session();
  session.connect();
  let running = false;
  let n = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')),
      );
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(join(dir, `gateway-${process.pid}-${++n}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}

interface Variant {
  readonly dist: string;
  readonly logging: boolean;
  readonly child: ChildProcess;
  readonly url: string;
}

async function start(dist: string, logging: boolean): Promise<Variant> {
  const child = fork(new URL(import.meta.url).pathname, ['--serve', dist, logging ? 'on' : 'off'], {
    stdio: ['ignore', process.env.RIG_STDOUT === 'null' ? 'ignore' : 'pipe', 'inherit', 'ipc'],
  });
  child.stdout?.resume();
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('message', (m: { port: number }) => resolvePort(m.port));
    child.once('exit', (code) => reject(new Error(`the gateway of ${dist} exited ${code}`)));
  });
  return { dist, logging, child, url: `http://127.0.0.1:${port}` };
}

const PATHS: Record<string, string> = {
  ended: '/api/calculate/ended',
  running: '/api/calculate/running',
  healthz: '/healthz',
  post: '/api/calculate',
};
/** The REST bench's POST: a small single-mode calculation. */
const POST = { body: JSON.stringify({ points: 1000, mode: 'single', seed: 1 }), contentType: 'application/json' };
const bodyOf = (target: string) => (target === 'post' ? POST : undefined);

async function main(): Promise<void> {
  const arg = (name: string, dflt: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
  const builds = arg('builds', '/work/main/dist,dist').split(',');
  const pairs = Number(arg('pairs', '6'));
  const durationS = Number(arg('duration', '3'));
  const connections = Number(arg('connections', '64'));
  const targets = arg('targets', 'ended,running,healthz').split(',');
  const loggings = arg('logging', 'off,on')
    .split(',')
    .map((l) => l === 'on');
  const wrk = findWrk();
  if (!wrk) throw new Error('wrk is not installed');
  const variants: Variant[] = [];
  for (const logging of loggings) for (const dist of builds) variants.push(await start(dist, logging));
  type Row = { cpuUs: number; userUs: number; rps: number; p99: number; wrkUs: number };
  const rows = new Map<string, Row[]>();
  try {
    for (const v of variants) for (const t of targets) await runWrk(wrk, `${v.url}${PATHS[t]}`, connections, 1, bodyOf(t)); // warm-up
    for (let pair = 0; pair < pairs; pair++) {
      for (const t of targets) {
        for (const logging of loggings) {
          // Alternate which build goes first from pair to pair.
          const order = variants.filter((v) => v.logging === logging);
          if (pair % 2 === 1) order.reverse();
          for (const v of order) {
            const cpu0 = processCpuTimesS(v.child.pid!);
            const r = await runWrk(wrk, `${v.url}${PATHS[t]}`, connections, durationS, bodyOf(t));
            const cpu1 = processCpuTimesS(v.child.pid!);
            const perRequest = (s: number) => (s * 1e6) / Math.max(1, r.requests);
            const userUs = perRequest(cpu1.user - cpu0.user);
            const cpuUs = userUs + perRequest(cpu1.system - cpu0.system);
            const key = `${t} logging ${logging ? 'on' : 'off'} ${v.dist}`;
            if (r.non2xx + r.errors > 0) console.log(`  ${key}: non-2xx ${r.non2xx}, errors ${r.errors}`);
            rows.set(key, [...(rows.get(key) ?? []), { cpuUs, userUs, rps: r.reqPerSecond, p99: r.p99Ms, wrkUs: r.cpuUsPerRequest }]);
            console.log(
              `pair ${pair + 1} ${key}: gateway ${cpuUs.toFixed(0)} µs/req (user ${userUs.toFixed(0)}), ${r.reqPerSecond.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(1)} ms, wrk ${r.cpuUsPerRequest.toFixed(0)} µs/req`,
            );
          }
        }
      }
    }
  } finally {
    for (const v of variants) v.child.kill();
  }
  const f = (s: Summary, d = 0) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
  console.log('\nmedian (min–max) over the pairs:');
  for (const [key, rs] of rows) {
    console.log(
      `${key}: gateway ${f(summarize(rs.map((r) => r.cpuUs)))} µs/req, user ${f(summarize(rs.map((r) => r.userUs)))}; ${f(summarize(rs.map((r) => r.rps)))} req/s; p99 ${f(summarize(rs.map((r) => r.p99)), 1)} ms; wrk ${f(summarize(rs.map((r) => r.wrkUs)))} µs/req`,
    );
  }
}

if (process.argv[2] === '--serve') await server({ dist: process.argv[3], logging: process.argv[4] === 'on' });
else await main();
