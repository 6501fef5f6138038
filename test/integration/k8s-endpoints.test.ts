import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { K8S_ERROR_CODES } from '../../gateway/k8s/k8s-errors.js';
import { createKubeReader, type KubeReaderOptions } from '../../gateway/k8s/kube-reader.js';
import { SERVICE_ACCOUNT_DIR } from '../../gateway/k8s/kube-settings.js';
import { registerK8sRoutes, type K8sRoutesOptions } from '../../gateway/routes/k8s-routes.js';
import { fakeHpa, fakePod, fakePodMetrics, startFakeKubeApi, type FakeKubeApi } from '../fakes/fake-kube-api.js';

const NOW = Date.parse('2024-05-01T12:10:00Z');
const CLUSTER_VIEW = { workers: [{ id: 'w-1', ready: true }], draining: false };
const SELECTOR = 'app.kubernetes.io/part-of=pigrid';
const PODS_PATH = '/api/v1/namespaces/pigrid/pods';
const HPAS_PATH = '/apis/autoscaling/v2/namespaces/pigrid/horizontalpodautoscalers';
const METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/namespaces/pigrid/pods';

const pigridLabels = (component: string) => ({
  'app.kubernetes.io/name': 'pigrid',
  'app.kubernetes.io/part-of': 'pigrid',
  'app.kubernetes.io/component': component,
});

let api: FakeKubeApi;
let dir: string;
const apps: FastifyInstance[] = [];

beforeEach(async () => {
  api = await startFakeKubeApi();
  dir = mkdtempSync(join(tmpdir(), 'pigrid-k8s-'));
  api.setPods([
    fakePod({
      name: 'pigrid-coordinator-0',
      component: 'coordinator',
      node: 'node-a',
      podIP: '10.244.1.5',
      createdAt: '2024-05-01T12:00:00Z',
    }),
    fakePod({
      name: 'pigrid-worker-7d9f8c6b5-abcde',
      component: 'worker',
      node: 'node-a',
      podIP: '10.244.1.9',
      createdAt: '2024-05-01T12:05:00Z',
      startedAt: '2024-05-01T12:05:02Z',
    }),
    fakePod({
      name: 'pigrid-worker-7d9f8c6b5-fghij',
      component: 'worker',
      node: 'node-b',
      podIP: '10.244.2.3',
      createdAt: '2024-05-01T11:10:00Z',
      containers: [
        { ready: false, restarts: 3 },
        { ready: true, restarts: 1 },
      ],
    }),
    fakePod({
      name: 'pigrid-worker-7d9f8c6b5-zzzzz',
      component: 'worker',
      phase: 'Pending',
      node: null,
      podIP: null,
      createdAt: '2024-05-01T12:09:30Z',
      startedAt: null,
    }),
    fakePod({
      name: 'pigrid-gateway-5c4b3a2d1-qwert',
      component: 'gateway',
      node: 'node-b',
      podIP: '10.244.2.7',
      createdAt: '2024-05-01T12:00:00Z',
    }),
    fakePod({ name: 'pigrid-migrate-x1y2z', node: 'node-a', podIP: '10.244.1.11', createdAt: '2024-05-01T12:00:00Z', phase: 'Succeeded' }),
    fakePod({
      name: 'unrelated-db-0',
      component: 'worker',
      partOf: 'someone-else',
      node: 'node-a',
      podIP: '10.244.1.99',
      createdAt: '2024-05-01T12:00:00Z',
    }),
  ]);
  api.setHpas([
    fakeHpa({
      name: 'pigrid-worker',
      target: { kind: 'Deployment', name: 'pigrid-worker' },
      minReplicas: 1,
      maxReplicas: 8,
      currentReplicas: 3,
      desiredReplicas: 4,
      cpuTarget: 70,
      cpuCurrent: 85,
    }),
    fakeHpa({
      name: 'pigrid-gateway',
      target: { kind: 'Deployment', name: 'pigrid-gateway' },
      maxReplicas: 3,
      currentReplicas: 1,
      desiredReplicas: 1,
    }),
  ]);
  api.setPodMetrics([
    fakePodMetrics({
      name: 'pigrid-coordinator-0',
      labels: pigridLabels('coordinator'),
      containers: [{ name: 'coordinator', cpu: '250m', memory: '64Mi' }],
    }),
    fakePodMetrics({
      name: 'pigrid-worker-7d9f8c6b5-abcde',
      labels: pigridLabels('worker'),
      timestamp: '2024-05-01T12:00:25Z',
      containers: [{ name: 'worker', cpu: '1', memory: '123456Ki' }],
    }),
    fakePodMetrics({
      name: 'pigrid-worker-7d9f8c6b5-fghij',
      labels: pigridLabels('worker'),
      window: '15s',
      containers: [
        { name: 'worker', cpu: '123456n', memory: '1Gi' },
        { name: 'sidecar-1', cpu: '1500u', memory: '512k' },
      ],
    }),
    fakePodMetrics({
      name: 'pigrid-gateway-5c4b3a2d1-qwert',
      labels: pigridLabels('gateway'),
      containers: [{ name: 'gateway', cpu: '5m', memory: '100M' }],
    }),
    fakePodMetrics({
      name: 'unrelated-db-0',
      labels: { 'app.kubernetes.io/part-of': 'someone-else' },
      containers: [{ name: 'db', cpu: '2', memory: '2Gi' }],
    }),
  ]);
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A gateway app whose reader loads the fake's kubeconfig through KUBECONFIG, the real loader path. */
async function gateway(reader: KubeReaderOptions = {}, routes: Partial<K8sRoutesOptions> = {}): Promise<FastifyInstance> {
  const kube = await createKubeReader({ ...reader, env: reader.env ?? { KUBECONFIG: api.writeKubeconfig(dir) } });
  const app = Fastify({ logger: false });
  registerK8sRoutes(app, { kube, clusterView: async () => CLUSTER_VIEW, now: () => NOW, ...routes });
  await app.ready();
  apps.push(app);
  return app;
}

async function get(app: FastifyInstance, url: string): Promise<any> {
  const res = await app.inject({ method: 'GET', url });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  for (const e of body.errors) expect(K8S_ERROR_CODES).toContain(e.code);
  return body;
}

const calls = () =>
  api.requests.map((r) => `${r.method} ${r.path}${r.query.labelSelector ? `?labelSelector=${r.query.labelSelector}` : ''}`);

describe('GET /api/k8s/status', () => {
  it('groups pigrid pods by component with readiness, restarts, node and age', async () => {
    const body = await get(await gateway(), '/api/k8s/status');
    expect(body.in_cluster).toBe(true);
    expect(body.namespace).toBe('pigrid');
    expect(body.errors).toEqual([]);
    expect(body.pods.coordinator).toEqual([
      {
        name: 'pigrid-coordinator-0',
        phase: 'Running',
        ready: true,
        restarts: 0,
        node: 'node-a',
        age_seconds: 600,
        pod_ip: '10.244.1.5',
        started_at: '2024-05-01T12:00:00.000Z',
      },
    ]);
    expect(body.pods.worker).toEqual([
      {
        name: 'pigrid-worker-7d9f8c6b5-abcde',
        phase: 'Running',
        ready: true,
        restarts: 0,
        node: 'node-a',
        age_seconds: 300,
        pod_ip: '10.244.1.9',
        started_at: '2024-05-01T12:05:02.000Z',
      },
      {
        name: 'pigrid-worker-7d9f8c6b5-fghij',
        phase: 'Running',
        ready: false,
        restarts: 4,
        node: 'node-b',
        age_seconds: 3600,
        pod_ip: '10.244.2.3',
        started_at: '2024-05-01T11:10:00.000Z',
      },
      {
        name: 'pigrid-worker-7d9f8c6b5-zzzzz',
        phase: 'Pending',
        ready: false,
        restarts: 0,
        node: null,
        age_seconds: 30,
        pod_ip: null,
        started_at: null,
      },
    ]);
    expect(body.pods.gateway.map((p: any) => p.name)).toEqual(['pigrid-gateway-5c4b3a2d1-qwert']);
    expect(body.pods.other.map((p: any) => [p.name, p.phase])).toEqual([['pigrid-migrate-x1y2z', 'Succeeded']]);
    // The pod of another app is filtered out server-side by the labelSelector.
    expect(JSON.stringify(body.pods)).not.toContain('unrelated-db-0');
    expect(body.coordinator).toEqual(CLUSTER_VIEW);
  });

  it('reports HPA replicas and CPU target/current utilisation', async () => {
    const body = await get(await gateway(), '/api/k8s/status');
    expect(body.hpas).toHaveLength(2);
    expect(body.hpas[1]).toMatchObject({
      name: 'pigrid-worker',
      target: { kind: 'Deployment', name: 'pigrid-worker' },
      min_replicas: 1,
      max_replicas: 8,
      current_replicas: 3,
      desired_replicas: 4,
      target_cpu_utilization: 70,
      current_cpu_utilization: 85,
    });
    expect(body.hpas[1].conditions).toContainEqual({
      type: 'ScalingActive',
      status: 'True',
      reason: 'ValidMetricFound',
      message: expect.stringContaining('cpu resource utilization'),
    });
    // No minReplicas → Kubernetes' default 1; no CPU metric → nulls.
    expect(body.hpas[0]).toMatchObject({
      name: 'pigrid-gateway',
      min_replicas: 1,
      max_replicas: 3,
      target_cpu_utilization: null,
      current_cpu_utilization: null,
    });
  });

  it('makes only the two allowed list calls, with the selector and the bearer token', async () => {
    await get(await gateway(), '/api/k8s/status');
    expect(calls().sort()).toEqual([`GET ${PODS_PATH}?labelSelector=${SELECTOR}`, `GET ${HPAS_PATH}`].sort());
    for (const r of api.requests) expect(r.headers.authorization).toBe('Bearer test-token');
  });

  it('answers 200 with hpas and a K8S_FORBIDDEN entry when RBAC refuses pods', async () => {
    api.respond('pods', { kind: 'status', code: 403 });
    const body = await get(await gateway(), '/api/k8s/status');
    expect(body.pods).toEqual({ coordinator: [], worker: [], gateway: [], other: [] });
    expect(body.hpas).toHaveLength(2);
    expect(body.coordinator).toEqual(CLUSTER_VIEW);
    expect(body.errors).toEqual([
      { source: 'pods', code: 'K8S_FORBIDDEN', message: expect.stringMatching(/ServiceAccount may not list pods .*check the Role/) },
    ]);
  });

  it('names horizontalpodautoscalers when RBAC refuses them', async () => {
    api.respond('hpas', { kind: 'status', code: 403 });
    const body = await get(await gateway(), '/api/k8s/status');
    expect(body.pods.worker).toHaveLength(3);
    expect(body.errors).toEqual([
      { source: 'hpas', code: 'K8S_FORBIDDEN', message: expect.stringContaining('horizontalpodautoscalers.autoscaling') },
    ]);
  });

  it('maps other API answers: HPAs 404 → K8S_NOT_FOUND, pods 500 → K8S_API_ERROR', async () => {
    api.respond('hpas', { kind: 'status', code: 404 });
    api.respond('pods', { kind: 'status', code: 500 });
    const body = await get(await gateway(), '/api/k8s/status');
    expect(body.errors).toEqual([
      { source: 'pods', code: 'K8S_API_ERROR', message: expect.stringContaining('answered 500') },
      { source: 'hpas', code: 'K8S_NOT_FOUND', message: expect.stringContaining('autoscaling/v2 needs Kubernetes 1.23') },
    ]);
    expect(JSON.stringify(body.errors)).not.toContain('etcdserver'); // causes are logged, not sent
  });

  it('reports K8S_UNAUTHORIZED for a wrong token', async () => {
    const app = await gateway({ env: { KUBECONFIG: api.writeKubeconfig(dir, { token: 'stale-token' }) } });
    const body = await get(app, '/api/k8s/status');
    expect(body.errors.map((e: any) => [e.source, e.code])).toEqual([
      ['pods', 'K8S_UNAUTHORIZED'],
      ['hpas', 'K8S_UNAUTHORIZED'],
    ]);
    expect(body.errors[0].message).toContain('token');
  });

  it('turns a hanging API server into K8S_TIMEOUT within the timeout', async () => {
    api.respond('pods', { kind: 'hang' });
    api.respond('hpas', { kind: 'hang' });
    const app = await gateway({ timeoutMs: 300 });
    const started = Date.now();
    const body = await get(app, '/api/k8s/status');
    const elapsed = Date.now() - started;
    // The deadline is the feature: not before it, and well before the test's own timeout (the server never answers).
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(10_000);
    expect(body.errors.map((e: any) => [e.source, e.code])).toEqual([
      ['pods', 'K8S_TIMEOUT'],
      ['hpas', 'K8S_TIMEOUT'],
    ]);
    expect(body.errors[0].message).toMatch(/300 ms.*PIGRID_K8S_TIMEOUT_MS/);
    expect(body.coordinator).toEqual(CLUSTER_VIEW);
    // The calls were really sent, and the deadline's AbortSignal reached node-fetch: it closed both
    // sockets instead of leaving them open on the hung server.
    expect(api.requests).toHaveLength(2);
    await expect.poll(() => api.openHangs, { timeout: 1000 }).toBe(0);
  });

  it('reports K8S_UNREACHABLE when nothing listens', async () => {
    const port = api.port;
    await api.close();
    writeFileSync(
      join(dir, 'dead'),
      `apiVersion: v1\nkind: Config\nclusters:\n- name: d\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: d\n  context:\n    cluster: d\n    user: u\ncurrent-context: d\n`,
    );
    const body = await get(await gateway({ env: { KUBECONFIG: join(dir, 'dead') } }), '/api/k8s/status');
    expect(body.namespace).toBe('pigrid'); // no context namespace → the default
    expect(body.errors.map((e: any) => e.code)).toEqual(['K8S_UNREACHABLE', 'K8S_UNREACHABLE']);
    expect(body.errors[0].message).toContain('ECONNREFUSED');
  });

  it('puts a failing or slow coordinator into coordinator.error and errors', async () => {
    const failing = await gateway({}, { clusterView: async () => Promise.reject(new Error('14 UNAVAILABLE: secret detail')) });
    const body = await get(failing, '/api/k8s/status');
    expect(body.pods.worker).toHaveLength(3);
    expect(body.coordinator).toEqual({ error: { code: 'COORDINATOR_UNAVAILABLE', message: expect.any(String) } });
    expect(body.errors).toEqual([
      { source: 'coordinator', code: 'COORDINATOR_UNAVAILABLE', message: expect.not.stringContaining('secret') },
    ]);

    let aborted = false;
    const slow = await gateway(
      {},
      {
        coordinatorTimeoutMs: 200,
        clusterView: (signal) =>
          new Promise((resolve) => {
            signal?.addEventListener('abort', () => (aborted = true));
            setTimeout(resolve, 5000, CLUSTER_VIEW).unref();
          }),
      },
    );
    const slowBody = await get(slow, '/api/k8s/status');
    expect(slowBody.coordinator.error.code).toBe('COORDINATOR_TIMEOUT');
    expect(slowBody.errors.map((e: any) => e.code)).toEqual(['COORDINATOR_TIMEOUT']);
    expect(aborted).toBe(true);
  });
});

describe('GET /api/k8s/metrics', () => {
  it('reports usage in millicores and bytes with per-component totals', async () => {
    const body = await get(await gateway(), '/api/k8s/metrics');
    expect(body).toMatchObject({
      in_cluster: true,
      namespace: 'pigrid',
      errors: [],
      window_seconds: 15,
      timestamp: '2024-05-01T12:00:25.000Z',
    });
    expect(body.pods.map((p: any) => [p.name, p.component, p.cpu_millicores, p.memory_bytes])).toEqual([
      ['pigrid-coordinator-0', 'coordinator', 250, 64 * 2 ** 20],
      ['pigrid-gateway-5c4b3a2d1-qwert', 'gateway', 5, 100_000_000],
      ['pigrid-worker-7d9f8c6b5-abcde', 'worker', 1000, 123456 * 1024],
      ['pigrid-worker-7d9f8c6b5-fghij', 'worker', 1.623456, 2 ** 30 + 512_000],
    ]);
    expect(body.pods[3].containers).toEqual([
      { name: 'worker', cpu_millicores: 0.123456, memory_bytes: 2 ** 30 },
      { name: 'sidecar-1', cpu_millicores: 1.5, memory_bytes: 512_000 },
    ]);
    expect(body.totals).toEqual({
      coordinator: { cpu_millicores: 250, memory_bytes: 67_108_864, pods: 1 },
      worker: { cpu_millicores: 1001.623456, memory_bytes: 123456 * 1024 + 2 ** 30 + 512_000, pods: 2 },
      gateway: { cpu_millicores: 5, memory_bytes: 100_000_000, pods: 1 },
      other: { cpu_millicores: 0, memory_bytes: 0, pods: 0 },
    });
    // Items carry their own component labels, so the pod list is not needed.
    expect(calls()).toEqual([`GET ${METRICS_PATH}?labelSelector=${SELECTOR}`]);
    expect(api.requests[0].headers.authorization).toBe('Bearer test-token');
  });

  it('takes components from the pod list when metrics items carry no labels', async () => {
    api.setPodMetrics([
      fakePodMetrics({
        name: 'pigrid-coordinator-0',
        labels: { 'app.kubernetes.io/part-of': 'pigrid' },
        containers: [{ name: 'c', cpu: '10m', memory: '1Mi' }],
      }),
      fakePodMetrics({
        name: 'pigrid-gateway-5c4b3a2d1-qwert',
        labels: { 'app.kubernetes.io/part-of': 'pigrid' },
        containers: [{ name: 'g', cpu: '20m', memory: '2Mi' }],
      }),
    ]);
    const body = await get(await gateway(), '/api/k8s/metrics');
    expect(body.pods.map((p: any) => [p.name, p.component])).toEqual([
      ['pigrid-coordinator-0', 'coordinator'],
      ['pigrid-gateway-5c4b3a2d1-qwert', 'gateway'],
    ]);
    expect(calls()).toEqual([`GET ${METRICS_PATH}?labelSelector=${SELECTOR}`, `GET ${PODS_PATH}?labelSelector=${SELECTOR}`]);
  });

  it.each([404, 503] as const)('reports METRICS_API_UNAVAILABLE when the metrics API answers %d', async (code) => {
    api.respond('metrics', { kind: 'status', code });
    const body = await get(await gateway(), '/api/k8s/metrics');
    expect(body.pods).toEqual([]);
    expect(body.window_seconds).toBeNull();
    expect(body.errors).toEqual([
      { source: 'metrics', code: 'METRICS_API_UNAVAILABLE', message: expect.stringContaining('metrics-server') },
    ]);
  });

  it('reports K8S_FORBIDDEN for pods.metrics.k8s.io', async () => {
    api.respond('metrics', { kind: 'status', code: 403 });
    const body = await get(await gateway(), '/api/k8s/metrics');
    expect(body.errors).toEqual([{ source: 'metrics', code: 'K8S_FORBIDDEN', message: expect.stringContaining('pods.metrics.k8s.io') }]);
  });

  it('turns a hanging metrics API into K8S_TIMEOUT within the timeout', async () => {
    api.respond('metrics', { kind: 'hang' });
    const app = await gateway({ timeoutMs: 250 });
    const started = Date.now();
    const body = await get(app, '/api/k8s/metrics');
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(body.errors.map((e: any) => [e.source, e.code])).toEqual([['metrics', 'K8S_TIMEOUT']]);
  });
});

describe('outside a cluster', () => {
  it('answers 200 with in_cluster:false, the coordinator view and empty lists', async () => {
    const kube = await createKubeReader({ env: {} });
    const app = Fastify({ logger: false });
    apps.push(app);
    registerK8sRoutes(app, { kube, clusterView: async () => CLUSTER_VIEW });
    const status = await get(app, '/api/k8s/status');
    expect(status).toEqual({
      in_cluster: false,
      namespace: null,
      pods: { coordinator: [], worker: [], gateway: [], other: [] },
      hpas: [],
      coordinator: CLUSTER_VIEW,
      errors: [],
    });
    const metrics = await get(app, '/api/k8s/metrics');
    expect(metrics).toMatchObject({ in_cluster: false, namespace: null, pods: [], window_seconds: null, timestamp: null, errors: [] });
    expect(metrics.totals.worker).toEqual({ cpu_millicores: 0, memory_bytes: 0, pods: 0 });
    expect(api.requests).toEqual([]);
  });

  it('reports an unloadable KUBECONFIG as K8S_CONFIG_INVALID and stays useful', async () => {
    const app = await gateway({ env: { KUBECONFIG: join(dir, 'missing.yaml') } });
    const body = await get(app, '/api/k8s/status');
    expect(body).toMatchObject({ in_cluster: false, coordinator: CLUSTER_VIEW });
    expect(body.errors).toEqual([{ source: 'config', code: 'K8S_CONFIG_INVALID', message: expect.stringContaining('missing.yaml') }]);
  });
});

describe('createKubeReader settings', () => {
  it('prefers the in-cluster service account when KUBERNETES_SERVICE_HOST is set and the token exists', async () => {
    const saDir = join(dir, SERVICE_ACCOUNT_DIR);
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, 'token'), 'sa-token');
    writeFileSync(join(saDir, 'namespace'), 'pigrid-prod');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: api.writeKubeconfig(dir) };
    const kube = await createKubeReader({ env, serviceAccountPathPrefix: dir });
    expect(kube).toMatchObject({ inCluster: true, namespace: 'pigrid-prod', timeoutMs: 3000 });
    // Without the mounted token, the host variable alone does not mean "in a pod": KUBECONFIG wins.
    rmSync(join(saDir, 'token'));
    expect((await createKubeReader({ env, serviceAccountPathPrefix: dir })).namespace).toBe('pigrid');
  });

  it('takes the namespace from options (the gateway config: PIGRID_K8S_NAMESPACE), then the context', async () => {
    const kubeconfig = api.writeKubeconfig(dir, { namespace: 'from-context' });
    expect((await createKubeReader({ env: { KUBECONFIG: kubeconfig } })).namespace).toBe('from-context');
    const app = await gateway({ namespace: 'from-opts', env: { KUBECONFIG: kubeconfig } });
    const body = await get(app, '/api/k8s/status');
    expect(body.namespace).toBe('from-opts');
    expect(api.requests.map((r) => r.path).sort()).toEqual([
      '/api/v1/namespaces/from-opts/pods',
      '/apis/autoscaling/v2/namespaces/from-opts/horizontalpodautoscalers',
    ]);
  });
});
