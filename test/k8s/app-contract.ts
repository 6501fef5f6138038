/**
 * What the pigrid app expects from its deployment: settings, ports, health services, metric
 * names, the API calls of the gateway. The manifests in k8s/ are checked against this file,
 * so a change on the app side (a renamed env var, a new port) belongs here first.
 */

/** Namespace all of pigrid lives in. */
export const NAMESPACE = 'pigrid';

/** Numeric USER of the image (Dockerfile); pods run as this uid/gid. */
export const IMAGE_USER = 10001;

export const COMPONENTS = ['coordinator', 'worker', 'gateway'] as const;
export type Component = (typeof COMPONENTS)[number];

export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  version: 'app.kubernetes.io/version',
} as const;

/** Labels a selector may use: ones that never change over a workload's life. */
export const STABLE_SELECTOR_KEYS: readonly string[] = [LABEL.name, LABEL.instance, LABEL.component];

/** The gateway lists pods with this label selector, so every pod must carry it. */
export const PART_OF_SELECTOR = { key: LABEL.partOf, value: 'pigrid' } as const;

export interface ComponentContract {
  /** Kind of the workload that runs the component. */
  readonly workloadKind: 'StatefulSet' | 'Deployment';
  /** `node dist/main.js <arg>`: the image's ENTRYPOINT plus this argument. */
  readonly arg: Component;
  /** Every PIGRID_* setting the component reads (anything else is a typo). */
  readonly settings: readonly string[];
  /** Settings that must be present in the deployment, with a fixed value where one is given. */
  readonly required: Readonly<Record<string, string | null>>;
  /** Env var holding the port that each named container port must equal. */
  readonly portSettings: Readonly<Record<string, string>>;
  /** Health checking: gRPC health services "" + "readiness", or HTTP paths. */
  readonly probes:
    | { readonly kind: 'grpc'; readonly readinessService: string }
    | { readonly kind: 'http'; readonly liveness: string; readonly readiness: string };
  /** App default of PIGRID_DRAIN_GRACE_MS when unset, or null when the component does not drain. */
  readonly drainGraceDefaultMs: number | null;
  /** Only the gateway calls the Kubernetes API. */
  readonly mountsToken: boolean;
  /** Runs as exactly one replica and is never autoscaled. */
  readonly singleton: boolean;
}

export const CONTRACT: Readonly<Record<Component, ComponentContract>> = {
  coordinator: {
    workloadKind: 'StatefulSet',
    arg: 'coordinator',
    settings: [
      'PIGRID_HOST',
      'PIGRID_GRPC_PORT',
      'PIGRID_METRICS_PORT',
      'PIGRID_DB_PATH',
      'PIGRID_WORKER_SERVICE',
      'PIGRID_WORKER_PORT_NAME',
      'PIGRID_WORKER_PORT',
      'PIGRID_DISCOVERY_INTERVAL_MS',
      'PIGRID_LEASE_TTL_MS',
      'PIGRID_PREFETCH',
      'PIGRID_PREFETCH_AHEAD_MS',
      'PIGRID_CHUNK_SIZE',
      'PIGRID_MAX_POINTS',
      'PIGRID_THREADS',
      'PIGRID_KERNEL',
      'PIGRID_DRAIN_GRACE_MS',
      'PIGRID_WORKERS',
      'PIGRID_DNS_SERVER',
      'PIGRID_MAX_CHUNKS',
      'PIGRID_MAX_CHUNK_ATTEMPTS',
      'PIGRID_STRAGGLER_FACTOR',
      'PIGRID_STRAGGLER_MIN_MS',
      'PIGRID_TICK_MS',
      'PIGRID_VERIFY_RATE',
      'PIGRID_VERIFY_FIRST',
      'PIGRID_MAX_WORKER_CAPACITY',
      'PIGRID_INITIAL_CREDITS',
      'PIGRID_BACKOFF_MIN_MS',
      'PIGRID_BACKOFF_MAX_MS',
      'PIGRID_TLS_CA',
      'PIGRID_TLS_CERT',
      'PIGRID_TLS_KEY',
      'PIGRID_TLS_RELOAD_MS',
      'PIGRID_INSECURE',
      'PIGRID_HEALTH_PORT',
      'PIGRID_API_TOKENS_FILE',
      'PIGRID_READ_AUTH',
      'PIGRID_MAX_ACTIVE_CALCULATIONS',
      'PIGRID_MAX_ACTIVE_PER_CLIENT',
      'PIGRID_MAX_QUEUED_POINTS',
      'PIGRID_MAX_WATCH_STREAMS',
    ],
    required: {
      PIGRID_HOST: '0.0.0.0',
      PIGRID_GRPC_PORT: null,
      PIGRID_METRICS_PORT: null,
      PIGRID_DB_PATH: null,
      PIGRID_WORKER_SERVICE: null,
      PIGRID_WORKER_PORT_NAME: null,
      PIGRID_WORKER_PORT: null,
    },
    portSettings: { grpc: 'PIGRID_GRPC_PORT', metrics: 'PIGRID_METRICS_PORT', health: 'PIGRID_HEALTH_PORT' },
    probes: { kind: 'grpc', readinessService: 'readiness' },
    drainGraceDefaultMs: 10_000,
    mountsToken: false,
    singleton: true,
  },
  worker: {
    workloadKind: 'Deployment',
    arg: 'worker',
    settings: [
      'PIGRID_HOST',
      'PIGRID_GRPC_PORT',
      'PIGRID_METRICS_PORT',
      'PIGRID_THREADS',
      'PIGRID_KERNEL',
      'PIGRID_WORKER_ID',
      'PIGRID_DRAIN_GRACE_MS',
      'PIGRID_TLS_CA',
      'PIGRID_TLS_CERT',
      'PIGRID_TLS_KEY',
      'PIGRID_TLS_RELOAD_MS',
      'PIGRID_INSECURE',
      'PIGRID_HEALTH_PORT',
    ],
    required: { PIGRID_HOST: '0.0.0.0', PIGRID_GRPC_PORT: null, PIGRID_METRICS_PORT: null },
    portSettings: { grpc: 'PIGRID_GRPC_PORT', metrics: 'PIGRID_METRICS_PORT', health: 'PIGRID_HEALTH_PORT' },
    probes: { kind: 'grpc', readinessService: 'readiness' },
    drainGraceDefaultMs: 20_000,
    mountsToken: false,
    singleton: false,
  },
  gateway: {
    workloadKind: 'Deployment',
    arg: 'gateway',
    settings: [
      'PIGRID_HOST',
      'PIGRID_HTTP_PORT',
      'PIGRID_COORDINATOR',
      'PIGRID_COORDINATOR_TIMEOUT_MS',
      'PIGRID_K8S_NAMESPACE',
      'PIGRID_K8S_TIMEOUT_MS',
      'PIGRID_TLS_CA',
      'PIGRID_TLS_CERT',
      'PIGRID_TLS_KEY',
      'PIGRID_TLS_RELOAD_MS',
      'PIGRID_INSECURE',
      'PIGRID_API_TOKENS_FILE',
      'PIGRID_READ_AUTH',
      'PIGRID_RATE_LIMIT_MAX',
      'PIGRID_RATE_LIMIT_WINDOW_MS',
      'PIGRID_MAX_EVENT_STREAMS',
      'PIGRID_MAX_EVENT_STREAMS_PER_CLIENT',
    ],
    required: { PIGRID_HOST: '0.0.0.0', PIGRID_HTTP_PORT: null, PIGRID_COORDINATOR: null },
    portSettings: { http: 'PIGRID_HTTP_PORT' },
    probes: { kind: 'http', liveness: '/healthz', readiness: '/readyz' },
    drainGraceDefaultMs: null,
    mountsToken: true,
    singleton: false,
  },
};

/** Env vars every component accepts: the shared logger's level and format, and non-pigrid ones. */
export const OTHER_ENV: readonly string[] = ['PIGRID_LOG_LEVEL', 'PIGRID_LOG_FORMAT', 'POD_NAME', 'TMPDIR', 'NODE_ENV', 'NODE_OPTIONS'];

/**
 * Time a component needs after its drain grace to stop: gRPC server close (2 s), thread pool
 * and metrics server. terminationGracePeriodSeconds must cover drain grace plus this.
 */
export const SHUTDOWN_OVERHEAD_MS = 5_000;

/**
 * What the runtime image must contain, relative to the app root (/app). native/addon holds the
 * native kernel's .node file (built at npm ci; only its build status where none could be built).
 */
export const RUNTIME_FILES: readonly string[] = ['package.json', 'node_modules', 'dist', 'proto', 'gateway/public', 'native/addon'];
/** The RUNTIME_FILES that the build stage produces (the others are in the repository). */
export const BUILT_RUNTIME_FILES: readonly string[] = ['node_modules', 'dist', 'native/addon'];

/**
 * The gateway's Kubernetes API calls, as `group/resource:verb` ("" = core group): list pods,
 * HPAs (autoscaling/v2) and pod metrics in its namespace; get is granted alongside list.
 */
export const GATEWAY_RBAC: readonly string[] = [
  '/pods:get',
  '/pods:list',
  'autoscaling/horizontalpodautoscalers:get',
  'autoscaling/horizontalpodautoscalers:list',
  'metrics.k8s.io/pods:get',
  'metrics.k8s.io/pods:list',
];

/** Prometheus series the app exports (histograms also as _bucket/_sum/_count). */
export const METRICS = {
  coordinator: [
    'pigrid_backlog_chunks',
    'pigrid_single_backlog_chunks',
    'pigrid_leases_in_flight',
    'pigrid_workers_connected',
    'pigrid_worker_capacity_threads',
    'pigrid_calculations_active',
    'pigrid_calculations_ended_total',
    'pigrid_leases_granted_total',
    'pigrid_chunks_completed_total',
    'pigrid_chunks_released_total',
    'pigrid_samples_total',
    'pigrid_chunk_duration_seconds',
    'pigrid_result_mismatches_total',
    'pigrid_duplicate_results_total',
    'pigrid_results_rejected_total',
    'pigrid_verifications_total',
    'pigrid_workers_quarantined_total',
    'pigrid_workers_quarantined',
    'pigrid_worker_auth_failures_total',
    'pigrid_grpc_calls_refused_total',
  ],
  worker: [
    'pigrid_worker_pool_utilization',
    'pigrid_worker_threads',
    'pigrid_worker_leases_held',
    'pigrid_worker_chunks_total',
    'pigrid_worker_samples_total',
    'pigrid_worker_chunk_duration_seconds',
  ],
  gateway: ['pigrid_http_request_duration_seconds'],
} as const satisfies Record<Component, readonly string[]>;

export const HISTOGRAMS: readonly string[] = [
  'pigrid_chunk_duration_seconds',
  'pigrid_worker_chunk_duration_seconds',
  'pigrid_http_request_duration_seconds',
];

/** Prefixes of prom-client's default process/Node.js metrics, one per component. */
export const DEFAULT_METRIC_PREFIXES: readonly string[] = ['pigrid_coordinator_', 'pigrid_worker_process_', 'pigrid_gateway_'];

/** Gauges of the coordinator that may drive worker autoscaling as External metrics. */
export const SCALING_GAUGES: readonly string[] = ['pigrid_backlog_chunks'];

/** A party in a network flow: a pigrid component, a pod elsewhere in the cluster, or an IP. */
export type Peer =
  | { readonly component: Component }
  | { readonly namespace: string; readonly labels: Readonly<Record<string, string>> }
  | { readonly ip: string };

export const PEERS = {
  prometheus: { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } },
  kubeDns: { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
  ingressController: { namespace: 'kube-system', labels: { 'app.kubernetes.io/name': 'traefik' } },
  strangerPod: { namespace: 'default', labels: { app: 'curl' } },
  /** The API server as NetworkPolicy sees it: the control-plane address after DNAT. */
  apiServer: { ip: '192.0.2.10' },
  internet: { ip: '198.51.100.7' },
} as const satisfies Record<string, Peer>;

export interface Flow {
  readonly from: Peer;
  readonly to: Peer;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP';
  readonly allowed: boolean;
}

const C = (component: Component): Peer => ({ component });

/** Who may talk to whom (NetworkPolicy intent), including what must stay closed. */
export const NETWORK_FLOWS: readonly Flow[] = [
  { from: C('coordinator'), to: C('worker'), port: 50061, allowed: true },
  { from: C('gateway'), to: C('coordinator'), port: 50051, allowed: true },
  { from: PEERS.prometheus, to: C('coordinator'), port: 9464, allowed: true },
  { from: PEERS.prometheus, to: C('worker'), port: 9465, allowed: true },
  { from: PEERS.prometheus, to: C('gateway'), port: 8080, allowed: true },
  { from: PEERS.ingressController, to: C('gateway'), port: 8080, allowed: true },
  { from: C('gateway'), to: PEERS.apiServer, port: 6443, allowed: true },
  { from: C('gateway'), to: PEERS.apiServer, port: 443, allowed: true },
  ...COMPONENTS.flatMap((c): Flow[] => [
    { from: C(c), to: PEERS.kubeDns, port: 53, protocol: 'UDP', allowed: true },
    { from: C(c), to: PEERS.kubeDns, port: 53, protocol: 'TCP', allowed: true },
    { from: C(c), to: PEERS.ingressController, port: 53, protocol: 'UDP', allowed: false },
  ]),
  // Only the coordinator reaches workers' gRPC; only the gateway reaches the coordinator's API.
  { from: C('gateway'), to: C('worker'), port: 50061, allowed: false },
  { from: C('worker'), to: C('worker'), port: 50061, allowed: false },
  { from: PEERS.strangerPod, to: C('worker'), port: 50061, allowed: false },
  { from: PEERS.prometheus, to: C('worker'), port: 50061, allowed: false },
  { from: C('worker'), to: C('coordinator'), port: 50051, allowed: false },
  { from: PEERS.strangerPod, to: C('coordinator'), port: 50051, allowed: false },
  { from: PEERS.ingressController, to: C('coordinator'), port: 50051, allowed: false },
  { from: PEERS.prometheus, to: C('coordinator'), port: 50051, allowed: false },
  { from: C('gateway'), to: C('coordinator'), port: 9464, allowed: false },
  { from: PEERS.strangerPod, to: C('worker'), port: 9465, allowed: false },
  { from: C('coordinator'), to: C('gateway'), port: 8080, allowed: false },
  { from: C('coordinator'), to: PEERS.internet, port: 443, allowed: false },
  { from: C('worker'), to: PEERS.internet, port: 443, allowed: false },
  { from: C('worker'), to: PEERS.apiServer, port: 6443, allowed: false },
  { from: C('coordinator'), to: PEERS.apiServer, port: 6443, allowed: false },
];

/**
 * Mutual TLS: which components serve and dial gRPC (each must mount its certificate files), the pigrid id each
 * certificate must carry (shared/peer-identity.ts), and where the files are.
 */
export const TLS = {
  settings: ['PIGRID_TLS_CA', 'PIGRID_TLS_CERT', 'PIGRID_TLS_KEY'],
  ids: { coordinator: 'spiffe://pigrid/coordinator', gateway: 'spiffe://pigrid/gateway', worker: 'spiffe://pigrid/worker' },
  /** Per-pod worker ids from cert-manager's csi-driver. */
  csiDriver: 'csi.cert-manager.io',
  csiWorkerUri: 'spiffe://pigrid/worker/${POD_NAME}',
} as const satisfies { ids: Record<Component, string> } & Record<string, unknown>;

/** Ports that exactly one component may open, whatever else the policies say. */
export const EXCLUSIVE_INGRESS: readonly { readonly to: Component; readonly port: number; readonly from: Component }[] = [
  { to: 'worker', port: 50061, from: 'coordinator' },
  { to: 'coordinator', port: 50051, from: 'gateway' },
];
