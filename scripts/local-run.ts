/**
 * `npm start`: runs pigrid locally the way a cluster runs it - one coordinator, N workers, the gateway, each its own
 * OS process with logs prefixed by name and SQLite in ./data/ - and keeps it running like a kubelet:
 *
 * - a process that dies (a crash, `kill -9`) is started again with a doubling backoff (1 s, 2 s, … 30 s, reset after
 *   a minute up); a worker keeps its id and port, so the coordinator sees a restarted pod;
 * - the coordinator finds the workers through DNS, as in Kubernetes: the runner serves a headless Service
 *   (`_grpc._tcp.workers.pigrid.local`) on a loopback port, listing the workers that are ready;
 * - `npx pigrid local scale N` adds workers or removes the highest-numbered ones (dropped from DNS, then drained
 *   with SIGTERM), through a control socket (./data/local-run.sock); `npx pigrid local status` lists the processes;
 * - Ctrl-C stops everything cleanly: workers drain first, then the coordinator and the gateway. A second Ctrl-C
 *   kills them at once;
 * - the processes log JSON lines; the runner shows each as a human line (pino-pretty, colours on a terminal)
 *   after the process name, or with PIGRID_LOG_FORMAT=json passes the JSON lines through as they are;
 * - every gRPC hop is mutual TLS: the first start creates a local CA and a certificate per process under ./data/tls
 *   (scripts/local-tls.ts; PIGRID_TLS_DIR), plus client.pem for grpcurl; PIGRID_INSECURE=true runs plaintext.
 *
 * Ports (env): PIGRID_HTTP_PORT 8080, PIGRID_GRPC_PORT 50051 (coordinator), PIGRID_WORKER_BASE_PORT 50061 (worker-k
 * gets base + k - 1), PIGRID_METRICS_BASE_PORT 9464 (coordinator; workers base + k; -1 disables). 0 means any free
 * port, kept across restarts of that process. Also PIGRID_LOCAL_WORKERS 2, PIGRID_LOCAL_MAX_WORKERS 16,
 * PIGRID_WORKER_THREADS 1, PIGRID_LOCAL_CONTROL ./data/local-run.sock, PIGRID_RESTART_BACKOFF_MS 1000,
 * PIGRID_RESTART_BACKOFF_MAX_MS 30000.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlServer, type ControlServer, type RunnerStatus } from './local/control.js';
import { SupervisedProcess, type Component, type RestartPolicy } from './local/supervisor.js';
import { startWorkerDns, type WorkerDns } from './local/worker-dns.js';
import { localTls, type LocalTls } from './local-tls.js';
import { prettyFactory } from 'pino-pretty';
import { DEFAULT_PORTS, EnvReader } from '../shared/config.js';
import { abortOnSignals, SECOND_SIGNAL_EXIT_CODE } from '../shared/lifecycle.js';
import { LOG_FORMATS, prettyOptions } from '../shared/logger.js';

const env = process.env;

/** The runner's own settings, read like every component's (one INVALID_CONFIG naming each bad variable). */
function readSettings() {
  const r = new EnvReader(env);
  const dbPath = r.string('PIGRID_DB_PATH', './data/pigrid.db');
  return r.done('local run', {
    workers: r.int('PIGRID_LOCAL_WORKERS', 2, 0, 1_000),
    maxWorkers: r.int('PIGRID_LOCAL_MAX_WORKERS', 16, 1, 1_000),
    workerBasePort: r.port('PIGRID_WORKER_BASE_PORT', DEFAULT_PORTS.workerGrpc),
    grpcPort: r.port('PIGRID_GRPC_PORT', DEFAULT_PORTS.coordinatorGrpc),
    httpPort: r.port('PIGRID_HTTP_PORT', DEFAULT_PORTS.gatewayHttp),
    metricsBase: r.int('PIGRID_METRICS_BASE_PORT', DEFAULT_PORTS.coordinatorMetrics, -1, 65_535),
    workerThreads: String(r.int('PIGRID_WORKER_THREADS', 1, 1, 1024)),
    dbPath,
    control: r.string('PIGRID_LOCAL_CONTROL', join(dirname(dbPath), 'local-run.sock')),
    discoveryIntervalMs: String(r.int('PIGRID_DISCOVERY_INTERVAL_MS', 1_000, 50, 3_600_000)),
    // How the processes' lines are shown here; the processes themselves always log JSON to the runner.
    logFormat: r.oneOf('PIGRID_LOG_FORMAT', 'pretty', LOG_FORMATS),
    policy: {
      initialBackoffMs: r.int('PIGRID_RESTART_BACKOFF_MS', 1_000, 10, 600_000),
      maxBackoffMs: r.int('PIGRID_RESTART_BACKOFF_MAX_MS', 30_000, 10, 3_600_000),
      resetAfterMs: 60_000,
    } satisfies RestartPolicy,
  });
}

let settings: ReturnType<typeof readSettings> & { maxWorkers: number };
try {
  const read = readSettings();
  settings = { ...read, maxWorkers: Math.max(read.maxWorkers, read.workers) };
} catch (err) {
  process.stderr.write(`local-run: ${(err as Error).message}\n`);
  process.exit(2);
}
const policy: RestartPolicy = settings.policy;
const mainJs = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'main.js');

const colors = ['\x1b[36m', '\x1b[33m', '\x1b[35m', '\x1b[32m', '\x1b[34m'];
const tty = process.stdout.isTTY;
const out = (line: string) => process.stdout.write(line + '\n');
const prefixOf = (name: string, color: string) => (tty ? `${color}${name.padEnd(12)}\x1b[0m| ` : `${name.padEnd(12)}| `);
const say = (msg: string) => out(prefixOf('local-run', '\x1b[1m') + msg);
const pretty = prettyFactory(prettyOptions(tty));

/**
 * How a process's output line is shown: a JSON log line through pino-pretty, anything else as it is, after the
 * process's prefix (on every line: an error's stack spans several). PIGRID_LOG_FORMAT=json: the line as it is.
 */
function renderer(prefix: string): (line: string) => string {
  if (settings.logFormat === 'json') return (line) => line;
  return (line) =>
    (line.startsWith('{') ? pretty(line).replace(/\n$/, '') : line)
      .split('\n')
      .map((l) => prefix + l)
      .join('\n');
}

/** Certificates of every process (made in main() before any process starts). */
let tls: LocalTls;
const workerIdOf = (index: number) => `local-worker-${index}`;

/** Extra environment of every process of a component: its certificate files (workers: in addWorker). */
function componentEnv(component: Component): NodeJS.ProcessEnv {
  return component === 'coordinator' ? tls.env.coordinator : component === 'gateway' ? tls.env.gateway : {};
}

function supervise(name: string, component: Component, color: string, extra: () => Record<string, string>): SupervisedProcess {
  return new SupervisedProcess({
    name,
    component,
    mainJs,
    env: () => ({ ...env, PIGRID_LOG_FORMAT: 'json', ...componentEnv(component), ...extra() }),
    output: out,
    prefix: prefixOf(name, color),
    render: renderer(prefixOf(name, color)),
    policy,
  });
}

/** host:port → port, for pinning a port that was chosen as 0 on first start. */
const portOf = (address: string | undefined) => (address ? Number(address.slice(address.lastIndexOf(':') + 1)) : undefined);

// --- workers: slots worker-1 … worker-N; DNS lists the ready ones ---

interface WorkerSlot {
  readonly index: number;
  readonly proc: SupervisedProcess;
  port: number;
  removing: boolean;
}
const slots = new Map<number, WorkerSlot>();
let desiredWorkers = settings.workers;
let dns: WorkerDns;

function publishEndpoints(): void {
  const endpoints = [...slots.values()]
    .filter((s) => !s.removing && s.proc.state === 'ready' && s.port > 0)
    .map((s) => ({ name: s.proc.spec.name, port: s.port }));
  dns.setEndpoints(endpoints);
}

function addWorker(index: number): WorkerSlot {
  const name = `worker-${index}`;
  const slot: WorkerSlot = {
    index,
    port: settings.workerBasePort === 0 ? 0 : settings.workerBasePort + index - 1,
    removing: false,
    proc: supervise(name, 'worker', colors[(index + 1) % colors.length], () => ({
      PIGRID_GRPC_PORT: String(slot.port),
      PIGRID_METRICS_PORT: settings.metricsBase < 0 ? '-1' : String(settings.metricsBase + index),
      PIGRID_THREADS: settings.workerThreads,
      PIGRID_WORKER_ID: workerIdOf(index),
      ...tls.env.worker(workerIdOf(index)),
    })),
  };
  slot.proc.on('ready', (fields) => {
    slot.port ||= portOf(fields.grpc) ?? 0;
    publishEndpoints();
  });
  slot.proc.on('state', () => publishEndpoints());
  slots.set(index, slot);
  slot.proc.start();
  return slot;
}

function removeWorker(slot: WorkerSlot): void {
  if (slot.removing) return;
  slot.removing = true;
  publishEndpoints(); // like an endpoint leaving the Service: no new leases once the coordinator re-resolves
  say(`scale down: draining ${slot.proc.spec.name}`);
  void slot.proc.stop('SIGTERM').then(() => {
    if (slots.get(slot.index) === slot) slots.delete(slot.index);
  });
}

function scale(n: number): RunnerStatus {
  if (!Number.isInteger(n) || n < 0 || n > settings.maxWorkers) {
    throw new RangeError(`workers must be an integer from 0 to ${settings.maxWorkers} (PIGRID_LOCAL_MAX_WORKERS); got ${n}`);
  }
  if (stopping) throw new RangeError('the local run is stopping');
  desiredWorkers = n;
  const active = [...slots.values()].filter((s) => !s.removing).sort((a, b) => a.index - b.index);
  if (active.length < n) {
    say(`scale up: ${active.length} → ${n} workers`);
    for (let index = 1; active.length < n; index++) {
      if (!slots.has(index)) active.push(addWorker(index));
    }
  } else if (active.length > n) {
    say(`scale down: ${active.length} → ${n} workers`);
    for (const slot of active.slice(n).reverse()) removeWorker(slot);
  }
  return status();
}

// --- coordinator and gateway ---

let coordinatorPort = settings.grpcPort;
let httpPort = settings.httpPort;
let coordinator: SupervisedProcess;
let gateway: SupervisedProcess;
let control: ControlServer | undefined;

function status(): RunnerStatus {
  return {
    gateway_url: gateway.readyInfo.url ?? null,
    desired_workers: desiredWorkers,
    max_workers: settings.maxWorkers,
    coordinator: coordinator.status(),
    gateway: gateway.status(),
    workers: [...slots.values()].sort((a, b) => a.index - b.index).map((s) => ({ ...s.proc.status(), removing: s.removing })),
    dns: {
      server: dns.address,
      service: dns.service,
      endpoints: [...slots.values()].filter((s) => !s.removing && s.proc.state === 'ready').map((s) => `${s.proc.spec.name}:${s.port}`),
    },
  };
}

async function main(): Promise<void> {
  // One certificate per worker slot that `scale` may open, so a scaled-up worker has its identity at once.
  tls = await localTls(
    env,
    Array.from({ length: settings.maxWorkers }, (_, i) => workerIdOf(i + 1)),
  );
  say(tls.summary);
  dns = await startWorkerDns(say);
  coordinator = supervise('coordinator', 'coordinator', colors[0], () => ({
    PIGRID_GRPC_PORT: String(coordinatorPort),
    PIGRID_METRICS_PORT: String(settings.metricsBase),
    PIGRID_WORKER_SERVICE: dns.service,
    PIGRID_DNS_SERVER: dns.address,
    PIGRID_DISCOVERY_INTERVAL_MS: settings.discoveryIntervalMs,
    PIGRID_DB_PATH: settings.dbPath,
  }));
  gateway = supervise('gateway', 'gateway', colors[1], () => ({
    PIGRID_HTTP_PORT: String(httpPort),
    PIGRID_COORDINATOR: `127.0.0.1:${coordinatorPort}`,
  }));
  coordinator.on('ready', (f) => {
    coordinatorPort ||= portOf(f.grpc) ?? 0;
  });
  let announced = false;
  gateway.on('ready', (f) => {
    httpPort ||= portOf(f.url) ?? 0;
    if (announced) return;
    announced = true;
    out(
      `\npigrid is running: gateway ${f.url}  (coordinator gRPC 127.0.0.1:${coordinatorPort}, ${desiredWorkers} workers)\n` +
        `  dashboard:  ${f.url}/\n` +
        `  calculate:  npx pigrid calc --points 1e10 --watch${f.url === 'http://127.0.0.1:8080' ? '' : ` --url ${f.url}`}\n` +
        `  scale:      npx pigrid local scale 4${control && resolve(control.path) !== resolve('./data/local-run.sock') ? ` --control ${control.path}` : ''}   (status: npx pigrid local status)\n` +
        `Ctrl-C stops everything (workers drain first).\n`,
    );
  });

  for (let i = 1; i <= settings.workers; i++) addWorker(i);
  coordinator.start();
  // The gateway dials the coordinator's port, which is known once the coordinator is ready when it was 0.
  if (coordinatorPort === 0) await new Promise((r) => coordinator.once('ready', r));
  gateway.start();
  try {
    control = await startControlServer(settings.control, { status, scale });
  } catch (err) {
    say(`control socket unavailable (${(err as Error).message}): 'pigrid local' commands will not work`);
  }
  say(`control socket ${settings.control}; worker DNS ${dns.address} (${dns.service})`);
}

let stopping = false;
async function shutdown(why: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(`stopping (${why}): draining workers first`);
  await control?.close();
  await Promise.all([...slots.values()].map((s) => s.proc.stop('SIGTERM')));
  await Promise.all([coordinator?.stop('SIGTERM'), gateway?.stop('SIGTERM')]);
  await dns?.close();
  say('all stopped');
  process.exit(exitCode);
}

// main owns the root AbortController: the first Ctrl-C drains everything, a second kills at once.
const root = new AbortController();
root.signal.addEventListener('abort', () => void shutdown(String(root.signal.reason)), { once: true });
abortOnSignals(root, () => {
  for (const p of [...[...slots.values()].map((s) => s.proc), coordinator, gateway]) p?.signal('SIGKILL');
  process.exit(SECOND_SIGNAL_EXIT_CODE);
});

main().catch((err: Error) => {
  process.stderr.write(`local-run failed to start: ${err.message}\n`);
  void shutdown('start failure', 1);
});
