/**
 * A fake Kubernetes API server on 127.0.0.1 (plain HTTP, random port) that serves the three
 * reads of the gateway at their real paths and in the real wire format:
 *
 * - `GET /api/v1/namespaces/{ns}/pods` → `PodList` (v1)
 * - `GET /apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers` → `HorizontalPodAutoscalerList`
 * - `GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods` → `PodMetricsList`
 *
 * Like kube-apiserver it answers a missing or wrong bearer token with a 401 `Status`, applies
 * equality `labelSelector`s (`k=v`, `k==v`, `k!=v`, `k`), serves other namespaces as empty lists,
 * omits `kind`/`apiVersion` on list items, and answers unknown paths with a 404 `Status`.
 * Tests inject 401/403/404/500/503 `Status` answers or a hang per resource, and read
 * {@link FakeKubeApi.requests} to assert exactly which calls were made.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** The resources the fake serves. */
export type FakeKubeResource = 'pods' | 'hpas' | 'metrics';

/** How the fake answers one resource. */
export type FakeKubeBehavior =
  | { readonly kind: 'ok' }
  | { readonly kind: 'status'; readonly code: 401 | 403 | 404 | 500 | 503 }
  /** Accept the request and never answer (until {@link FakeKubeApi.close}). */
  | { readonly kind: 'hang' };

/** One request as received. */
export interface FakeKubeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
}

/** A running fake API server. */
export interface FakeKubeApi {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Every request received so far, in order. */
  readonly requests: readonly FakeKubeRequest[];
  /** Hanging requests whose connection the client has not closed yet (a client that gives up closes it). */
  readonly openHangs: number;
  /** Replaces the stored objects (full JSON, as {@link fakePod} & co. build them). */
  setPods(pods: readonly object[]): void;
  setHpas(hpas: readonly object[]): void;
  setPodMetrics(items: readonly object[]): void;
  /** Sets how `resource` is answered from now on. */
  respond(resource: FakeKubeResource, behavior: FakeKubeBehavior): void;
  /** Writes a kubeconfig for this server into `dir` and returns its path (for KUBECONFIG). */
  writeKubeconfig(dir: string, opts?: { token?: string; namespace?: string }): string;
  /** Ends hanging requests and stops the server. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link startFakeKubeApi}. */
export interface FakeKubeApiOptions {
  /** Bearer token the server accepts. @default "test-token" */
  readonly token?: string;
  /** The namespace holding the stored objects. @default "pigrid" */
  readonly namespace?: string;
}

const ROUTES: ReadonlyArray<{ resource: FakeKubeResource; pattern: RegExp }> = [
  { resource: 'pods', pattern: /^\/api\/v1\/namespaces\/([a-z0-9-]+)\/pods$/ },
  { resource: 'hpas', pattern: /^\/apis\/autoscaling\/v2\/namespaces\/([a-z0-9-]+)\/horizontalpodautoscalers$/ },
  { resource: 'metrics', pattern: /^\/apis\/metrics\.k8s\.io\/v1beta1\/namespaces\/([a-z0-9-]+)\/pods$/ },
];

const LIST_TYPE: Record<FakeKubeResource, { kind: string; apiVersion: string }> = {
  pods: { kind: 'PodList', apiVersion: 'v1' },
  hpas: { kind: 'HorizontalPodAutoscalerList', apiVersion: 'autoscaling/v2' },
  metrics: { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1' },
};

const RBAC: Record<FakeKubeResource, { group: string; plural: string; qualified: string }> = {
  pods: { group: '', plural: 'pods', qualified: 'pods' },
  hpas: { group: 'autoscaling', plural: 'horizontalpodautoscalers', qualified: 'horizontalpodautoscalers.autoscaling' },
  metrics: { group: 'metrics.k8s.io', plural: 'pods', qualified: 'pods.metrics.k8s.io' },
};

/** Starts the fake on 127.0.0.1, port 0. */
export async function startFakeKubeApi(opts: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const token = opts.token ?? 'test-token';
  const namespace = opts.namespace ?? 'pigrid';
  const requests: FakeKubeRequest[] = [];
  const store: Record<FakeKubeResource, readonly object[]> = { pods: [], hpas: [], metrics: [] };
  const behavior: Record<FakeKubeResource, FakeKubeBehavior> = {
    pods: { kind: 'ok' },
    hpas: { kind: 'ok' },
    metrics: { kind: 'ok' },
  };
  let resourceVersion = 48211;
  let openHangs = 0;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
    });
    if (req.headers.authorization !== `Bearer ${token}`) {
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const route = ROUTES.map((r) => ({ ...r, match: r.pattern.exec(url.pathname) })).find((r) => r.match);
    if (!route || !route.match) return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (req.method !== 'GET')
      return sendStatus(res, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    const ns = route.match[1];
    const mode = behavior[route.resource];
    if (mode.kind === 'hang') {
      openHangs += 1;
      res.on('close', () => (openHangs -= 1));
      return;
    }
    if (mode.kind === 'status') return sendFailure(res, mode.code, route.resource, ns);
    const selector = url.searchParams.get('labelSelector') ?? '';
    const items = ns === namespace ? store[route.resource].filter((o) => matchesSelector(labelsOf(o), selector)) : [];
    resourceVersion += 1;
    sendJson(res, 200, {
      ...LIST_TYPE[route.resource],
      metadata: route.resource === 'metrics' ? {} : { resourceVersion: String(resourceVersion) },
      items,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;

  return {
    url,
    port,
    requests,
    get openHangs() {
      return openHangs;
    },
    setPods: (pods) => void (store.pods = pods),
    setHpas: (hpas) => void (store.hpas = hpas),
    setPodMetrics: (items) => void (store.metrics = items),
    respond: (resource, b) => void (behavior[resource] = b),
    writeKubeconfig(dir, o = {}) {
      const file = join(dir, 'kubeconfig');
      writeFileSync(file, kubeconfigYaml(url, o.token ?? token, o.namespace ?? namespace));
      return file;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A `metav1.Status` failure, as kube-apiserver sends it. */
function sendStatus(res: ServerResponse, code: number, reason: string, message: string, details?: object): void {
  sendJson(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

function sendFailure(res: ServerResponse, code: 401 | 403 | 404 | 500 | 503, resource: FakeKubeResource, ns: string): void {
  const { group, plural, qualified } = RBAC[resource];
  switch (code) {
    case 401:
      return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    case 403:
      return sendStatus(
        res,
        403,
        'Forbidden',
        `${qualified} is forbidden: User "system:serviceaccount:${ns}:pigrid-gateway" cannot list resource "${plural}" in API group "${group}" in the namespace "${ns}"`,
        { ...(group ? { group } : {}), kind: plural },
      );
    case 404:
      return sendStatus(res, 404, 'NotFound', 'the server could not find the requested resource', {});
    case 500:
      return sendStatus(res, 500, 'InternalError', 'Internal error occurred: etcdserver: request timed out', {});
    case 503:
      return sendStatus(res, 503, 'ServiceUnavailable', `the server is currently unable to handle the request (get ${qualified})`, {
        ...(group ? { group } : {}),
        kind: plural,
        causes: [{ reason: 'UnexpectedServerResponse', message: 'service unavailable' }],
      });
  }
}

function labelsOf(o: object): Record<string, string> {
  return (o as { metadata?: { labels?: Record<string, string> } }).metadata?.labels ?? {};
}

/** Equality-based selectors only: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-joined (ANDed). */
function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .every((req) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(req);
      if (ne) return labels[ne[1]] !== ne[2];
      const eq = /^([^!=]+)==?(.*)$/.exec(req);
      if (eq) return labels[eq[1]] === eq[2];
      if (req.startsWith('!')) return !(req.slice(1) in labels);
      return req in labels;
    });
}

function kubeconfigYaml(server: string, token: string, namespace: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: pigrid-gateway',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: pigrid-gateway',
    `    namespace: ${namespace}`,
    'current-context: fake',
    'preferences: {}',
    '',
  ].join('\n');
}

// ---- Object builders: full-looking objects, as kube-apiserver and metrics-server return them. ----

/** What {@link fakePod} needs; the rest is filled in realistically. */
export interface FakePodInit {
  readonly name: string;
  /** `app.kubernetes.io/component`; omitted when undefined. */
  readonly component?: string;
  /** `app.kubernetes.io/part-of`. @default "pigrid" */
  readonly partOf?: string;
  readonly namespace?: string;
  /** @default "Running" */
  readonly phase?: string;
  /** One entry per container: ready and restart count. @default [{ ready: true, restarts: 0 }] */
  readonly containers?: ReadonlyArray<{ readonly ready: boolean; readonly restarts: number }>;
  readonly node?: string | null;
  readonly podIP?: string | null;
  /** RFC 3339 creation time. */
  readonly createdAt: string;
  /** RFC 3339 `status.startTime`; null for a pod not yet accepted by a kubelet. @default createdAt */
  readonly startedAt?: string | null;
}

/** A v1 Pod as it appears in a `PodList`. */
export function fakePod(p: FakePodInit): object {
  const ns = p.namespace ?? 'pigrid';
  const containers = p.containers ?? [{ ready: true, restarts: 0 }];
  const names = containers.map((_, i) => (i === 0 ? (p.component ?? 'app') : `sidecar-${i}`));
  const startedAt = p.startedAt === undefined ? p.createdAt : p.startedAt;
  const allReady = containers.every((c) => c.ready);
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'pigrid',
    'app.kubernetes.io/part-of': p.partOf ?? 'pigrid',
    'pod-template-hash': '7d9f8c6b5',
    ...(p.component !== undefined ? { 'app.kubernetes.io/component': p.component } : {}),
  };
  return {
    metadata: {
      name: p.name,
      generateName: p.name.replace(/[a-z0-9]{5}$/, ''),
      namespace: ns,
      uid: `4f1c${hash(p.name)}-2b6e-4c1a-9d3e-0a7b5c9e1f2d`,
      resourceVersion: String(40000 + (hash(p.name) % 9000)),
      creationTimestamp: p.createdAt,
      labels,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `pigrid-${p.component ?? 'app'}-7d9f8c6b5`,
          uid: 'a3f0e1d2-0000-4000-8000-000000000001',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      containers: names.map((name) => ({
        name,
        image: `ghcr.io/pigrid/${name}:0.1.0`,
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      })),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: `pigrid-${p.component ?? 'app'}`,
      ...(p.node ? { nodeName: p.node } : {}),
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: p.phase ?? 'Running',
      conditions: [
        { type: 'PodScheduled', status: p.node ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: p.createdAt },
        ...(startedAt ? [{ type: 'Ready', status: allReady ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: startedAt }] : []),
      ],
      ...(p.node ? { hostIP: '10.0.0.12', hostIPs: [{ ip: '10.0.0.12' }] } : {}),
      ...(p.podIP ? { podIP: p.podIP, podIPs: [{ ip: p.podIP }] } : {}),
      ...(startedAt ? { startTime: startedAt } : {}),
      ...(startedAt
        ? {
            containerStatuses: containers.map((c, i) => ({
              name: names[i],
              state: c.ready
                ? { running: { startedAt } }
                : { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
              ready: c.ready,
              restartCount: c.restarts,
              image: `ghcr.io/pigrid/${names[i]}:0.1.0`,
              imageID: `ghcr.io/pigrid/${names[i]}@sha256:${'ab'.repeat(32)}`,
              containerID: `containerd://${'cd'.repeat(32)}`,
              started: c.ready,
            })),
          }
        : {}),
      qosClass: 'Burstable',
    },
  };
}

/** What {@link fakeHpa} needs. */
export interface FakeHpaInit {
  readonly name: string;
  readonly target: { readonly kind: string; readonly name: string };
  readonly minReplicas?: number;
  readonly maxReplicas: number;
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  /** `averageUtilization` target of the cpu Resource metric; omit for no cpu metric. */
  readonly cpuTarget?: number;
  /** Observed cpu utilisation; omit when metrics are not yet available. */
  readonly cpuCurrent?: number;
}

/** An autoscaling/v2 HorizontalPodAutoscaler as it appears in its list. */
export function fakeHpa(h: FakeHpaInit): object {
  const at = '2024-05-01T12:00:00Z';
  return {
    metadata: {
      name: h.name,
      namespace: 'pigrid',
      uid: `9b2d${hash(h.name)}-1c3e-4f5a-8b7c-6d5e4f3a2b1c`,
      resourceVersion: '48102',
      creationTimestamp: '2024-05-01T10:00:00Z',
      labels: { 'app.kubernetes.io/part-of': 'pigrid', 'app.kubernetes.io/component': 'worker' },
    },
    spec: {
      scaleTargetRef: { kind: h.target.kind, name: h.target.name, apiVersion: 'apps/v1' },
      ...(h.minReplicas !== undefined ? { minReplicas: h.minReplicas } : {}),
      maxReplicas: h.maxReplicas,
      ...(h.cpuTarget !== undefined
        ? { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: h.cpuTarget } } }] }
        : {}),
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      },
    },
    status: {
      lastScaleTime: at,
      currentReplicas: h.currentReplicas,
      desiredReplicas: h.desiredReplicas,
      ...(h.cpuCurrent !== undefined
        ? {
            currentMetrics: [
              { type: 'Resource', resource: { name: 'cpu', current: { averageValue: '412m', averageUtilization: h.cpuCurrent } } },
            ],
          }
        : {}),
      conditions: [
        {
          type: 'AbleToScale',
          status: 'True',
          lastTransitionTime: at,
          reason: 'ReadyForNewScale',
          message: 'recommended size matches current size',
        },
        h.cpuCurrent !== undefined
          ? {
              type: 'ScalingActive',
              status: 'True',
              lastTransitionTime: at,
              reason: 'ValidMetricFound',
              message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
            }
          : {
              type: 'ScalingActive',
              status: 'False',
              lastTransitionTime: at,
              reason: 'FailedGetResourceMetric',
              message:
                'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu',
            },
        {
          type: 'ScalingLimited',
          status: 'False',
          lastTransitionTime: at,
          reason: 'DesiredWithinRange',
          message: 'the desired count is within the acceptable range',
        },
      ],
    },
  };
}

/** What {@link fakePodMetrics} needs. */
export interface FakePodMetricsInit {
  readonly name: string;
  /** Labels copied from the pod (metrics-server does); `undefined` omits them all. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly timestamp?: string;
  /** Go duration. @default "10.015s" */
  readonly window?: string;
  readonly containers: ReadonlyArray<{ readonly name: string; readonly cpu: string; readonly memory: string }>;
}

/** A metrics.k8s.io/v1beta1 PodMetrics as it appears in a `PodMetricsList`. */
export function fakePodMetrics(m: FakePodMetricsInit): object {
  return {
    metadata: {
      name: m.name,
      namespace: 'pigrid',
      creationTimestamp: '2024-05-01T12:00:31Z',
      ...(m.labels ? { labels: m.labels } : {}),
    },
    timestamp: m.timestamp ?? '2024-05-01T12:00:21Z',
    window: m.window ?? '10.015s',
    containers: m.containers.map((c) => ({ name: c.name, usage: { cpu: c.cpu, memory: c.memory } })),
  };
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % 0xffff;
}
