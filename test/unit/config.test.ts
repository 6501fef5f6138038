/**
 * The one config reader: documented defaults, frozen results, and every bad variable named in one INVALID_CONFIG.
 */
import { describe, expect, it } from 'vitest';
import { loadCoordinatorConfig } from '../../coordinator/config.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../coordinator/core/scheduler-types.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { DEFAULT_PORTS, EnvReader } from '../../shared/config.js';
import { PigridError } from '../../shared/errors.js';
import { loadWorkerConfig } from '../../worker/config.js';

/** These tests are about the reader, not TLS: every process runs plaintext here on purpose (docs/security.md). */
const PLAINTEXT = { PIGRID_INSECURE: 'true' } as const;

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(PigridError);
    expect((err as PigridError).code).toBe('INVALID_CONFIG');
    expect((err as PigridError).message).toContain((err as PigridError).problems.join('\n  - '));
    return (err as PigridError).problems;
  }
  throw new Error('expected an INVALID_CONFIG error');
}

describe('coordinator config', () => {
  it('has the documented defaults, the scheduler defaults from the core, and is frozen', () => {
    const c = loadCoordinatorConfig({ ...PLAINTEXT });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      grpcPort: DEFAULT_PORTS.coordinatorGrpc,
      metricsPort: DEFAULT_PORTS.coordinatorMetrics,
      workers: [],
      workerService: undefined,
      workerPortName: 'grpc',
      workerPort: DEFAULT_PORTS.workerGrpc,
      discoveryIntervalMs: 5_000,
      dnsServers: [],
      leaseTtlMs: DEFAULT_SCHEDULER_OPTIONS.leaseTtlMs,
      verifyRate: DEFAULT_SCHEDULER_OPTIONS.verifyRate,
      chunkSize: 2_000_000_000,
      log: { level: 'info', format: 'json' },
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the chunk-span settings: defaults from the core, 1 chunk turns spans off, 0 is refused', () => {
    const d = loadCoordinatorConfig({ ...PLAINTEXT });
    expect([d.spanTargetMs, d.maxSpanChunks]).toEqual([DEFAULT_SCHEDULER_OPTIONS.spanTargetMs, DEFAULT_SCHEDULER_OPTIONS.maxSpanChunks]);
    const c = loadCoordinatorConfig({ ...PLAINTEXT, PIGRID_SPAN_TARGET_MS: '200', PIGRID_MAX_SPAN_CHUNKS: '1' });
    expect([c.spanTargetMs, c.maxSpanChunks]).toEqual([200, 1]);
    expect(problemsOf(() => loadCoordinatorConfig({ ...PLAINTEXT, PIGRID_SPAN_TARGET_MS: '0', PIGRID_MAX_SPAN_CHUNKS: '0' }))).toEqual([
      'PIGRID_SPAN_TARGET_MS must be an integer from 1 to 3600000; got "0"',
      'PIGRID_MAX_SPAN_CHUNKS must be an integer from 1 to 65536; got "0"',
    ]);
    // The growth of spans for long calculations: 1 s by default; a value at most the target turns it off.
    expect(d.maxSpanMs).toBe(DEFAULT_SCHEDULER_OPTIONS.maxSpanMs);
    expect(loadCoordinatorConfig({ ...PLAINTEXT, PIGRID_MAX_SPAN_MS: '800' }).maxSpanMs).toBe(800);
    expect(problemsOf(() => loadCoordinatorConfig({ ...PLAINTEXT, PIGRID_MAX_SPAN_MS: '0' }))).toEqual([
      'PIGRID_MAX_SPAN_MS must be an integer from 1 to 3600000; got "0"',
    ]);
  });

  it('reads worker addresses and DNS settings in the forms discovery uses', () => {
    const c = loadCoordinatorConfig({
      ...PLAINTEXT,
      PIGRID_WORKERS: ' b:2 , [::1]:3,Worker-0.Local:50061,',
      PIGRID_WORKER_SERVICE: 'Pigrid-Worker.pigrid.svc.cluster.local.',
      PIGRID_WORKER_PORT_NAME: 'work',
      PIGRID_DNS_SERVER: '127.0.0.1:5353,::1',
    });
    expect(c.workers).toEqual(['b:2', '[::1]:3', 'worker-0.local:50061']);
    expect(c.workerService).toBe('pigrid-worker.pigrid.svc.cluster.local');
    expect(c.workerPortName).toBe('work');
    expect(c.dnsServers).toEqual(['127.0.0.1:5353', '::1']);
  });

  it('names every bad variable and its rule in one error', () => {
    const problems = problemsOf(() =>
      loadCoordinatorConfig({
        ...PLAINTEXT,
        PIGRID_WORKERS: 'ok:1,nope,,x:99999',
        PIGRID_WORKER_SERVICE: 'bad name',
        PIGRID_WORKER_PORT_NAME: 'Not_A_Port_Name',
        PIGRID_DNS_SERVER: 'dns.example:53',
        PIGRID_LEASE_TTL_MS: '10',
        PIGRID_VERIFY_RATE: '2',
        PIGRID_LOG_LEVEL: 'loud',
        PIGRID_LOG_FORMAT: 'yaml',
      }),
    );
    expect(problems).toEqual([
      'PIGRID_WORKERS entry 2 "nope": missing ":port"',
      'PIGRID_WORKERS entry 3 "": empty entry',
      'PIGRID_WORKERS entry 4 "x:99999": port 99999 is outside 1..65535',
      'PIGRID_WORKER_SERVICE "bad name": must be a DNS name such as "pigrid-worker.pigrid.svc.cluster.local"',
      'PIGRID_WORKER_PORT_NAME "Not_A_Port_Name": must be a Kubernetes port name (1-15 of a-z, 0-9, "-")',
      'PIGRID_DNS_SERVER entry 1 "dns.example:53": must be "ip" or "ip:port"',
      'PIGRID_LEASE_TTL_MS must be an integer from 500 to 3600000; got "10"',
      'PIGRID_VERIFY_RATE must be a number from 0 to 1; got "2"',
      'PIGRID_LOG_LEVEL must be one of debug, info, warn, error; got "loud"',
      'PIGRID_LOG_FORMAT must be one of json, pretty; got "yaml"',
    ]);
  });
});

describe('worker config', () => {
  it('defaults its identity to POD_NAME and its ports to the shared defaults', () => {
    expect(loadWorkerConfig({ ...PLAINTEXT, POD_NAME: 'pigrid-worker-abc' })).toMatchObject({
      workerId: 'pigrid-worker-abc',
      grpcPort: DEFAULT_PORTS.workerGrpc,
      metricsPort: DEFAULT_PORTS.workerMetrics,
      drainGraceMs: 20_000,
    });
    expect(loadWorkerConfig({ ...PLAINTEXT, POD_NAME: 'p', PIGRID_WORKER_ID: 'w-1' }).workerId).toBe('w-1');
    expect(problemsOf(() => loadWorkerConfig({ ...PLAINTEXT, PIGRID_THREADS: '0', PIGRID_GRPC_PORT: 'x' }))).toHaveLength(2);
  });
});

describe('gateway config', () => {
  it('points at the coordinator default and reads the Kubernetes reader settings', () => {
    expect(loadGatewayConfig({ ...PLAINTEXT })).toMatchObject({
      coordinator: `127.0.0.1:${DEFAULT_PORTS.coordinatorGrpc}`,
      httpPort: DEFAULT_PORTS.gatewayHttp,
      k8sNamespace: undefined,
      k8sTimeoutMs: 3000,
    });
    expect(loadGatewayConfig({ ...PLAINTEXT, PIGRID_K8S_NAMESPACE: 'pigrid-prod', PIGRID_K8S_TIMEOUT_MS: '250' })).toMatchObject({
      k8sNamespace: 'pigrid-prod',
      k8sTimeoutMs: 250,
    });
  });

  it('rejects invalid Kubernetes settings naming every problem at once', () => {
    expect(problemsOf(() => loadGatewayConfig({ ...PLAINTEXT, PIGRID_K8S_TIMEOUT_MS: '3s', PIGRID_K8S_NAMESPACE: 'Not_Valid' }))).toEqual([
      `PIGRID_K8S_NAMESPACE "Not_Valid": must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63)`,
      'PIGRID_K8S_TIMEOUT_MS must be an integer from 1 to 600000; got "3s"',
    ]);
  });
});

describe('EnvReader', () => {
  it('treats blank values as unset, accepts 1e9 and 1_000 forms, and tolerates one trailing comma', () => {
    const r = new EnvReader({ A: '  ', B: '2e3', C: '1_000', L: 'x, y,' });
    expect([r.int('A', 7, 0, 10), r.int('B', 0, 0, 1e6), r.int('C', 0, 0, 1e6)]).toEqual([7, 2000, 1000]);
    expect(r.list('L')).toEqual(['x', 'y']);
    expect(r.done('test', { ok: true })).toEqual({ ok: true });
  });
});

describe('TLS settings (every component)', () => {
  const files = { PIGRID_TLS_CA: '/tls/ca.crt', PIGRID_TLS_CERT: '/tls/tls.crt', PIGRID_TLS_KEY: '/tls/tls.key' };
  it('need the three PEM files unless PIGRID_INSECURE=true says plaintext', () => {
    for (const load of [loadCoordinatorConfig, loadWorkerConfig, loadGatewayConfig]) {
      expect(problemsOf(() => load({}))).toEqual([
        'PIGRID_TLS_CA, PIGRID_TLS_CERT, PIGRID_TLS_KEY must name PEM files (mutual TLS is the default); set PIGRID_INSECURE=true to run plaintext',
      ]);
      expect(load(files).tls).toEqual({
        insecure: false,
        caFile: '/tls/ca.crt',
        certFile: '/tls/tls.crt',
        keyFile: '/tls/tls.key',
        reloadMs: 10_000,
      });
      expect(load({ ...PLAINTEXT }).tls).toEqual({ insecure: true });
      expect(problemsOf(() => load({ ...files, PIGRID_INSECURE: 'maybe' }))).toEqual([
        'PIGRID_INSECURE must be true or false; got "maybe"',
      ]);
    }
  });
});
