/**
 * The gateway's read-only Kubernetes adapter. It makes exactly three calls, all `list` in one
 * namespace (the RBAC Role must grant get/list on these and nothing else is needed):
 *
 * 1. `GET /api/v1/namespaces/{ns}/pods?labelSelector=app.kubernetes.io/part-of=pigrid`
 * 2. `GET /apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers`
 * 3. `GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods?labelSelector=app.kubernetes.io/part-of=pigrid`
 *
 * Every call has a deadline (see {@link withDeadline}); every outcome, failures included, is a
 * {@link KubeResult} value, so a caller never needs try/catch and never hangs.
 */
import { existsSync } from 'node:fs';

import {
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type V1Pod,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';

import { withDeadline } from './deadline.js';
import { classifyKubeError, type K8sFailure, type KubeResource } from './k8s-errors.js';
import {
  DEFAULT_TIMEOUT_MS,
  detectKubeConfigSource,
  PIGRID_LABEL_SELECTOR,
  pickNamespace,
  type KubeConfigSource,
  type KubeEnv,
} from './kube-settings.js';

/** A read's outcome: the items, or the failure to report. */
export type KubeResult<T> = { ok: true; value: T } | { ok: false; error: K8sFailure };

/** One item of a metrics.k8s.io/v1beta1 `PodMetricsList`, as the API server sends it. */
export interface PodMetricsItem {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string };
  /** RFC 3339 end of the sampling window. */
  timestamp?: string;
  /** Go duration, e.g. "10.015s". */
  window?: string;
  containers?: Array<{ name: string; usage?: { cpu?: string; memory?: string } }>;
}

/** Read access to the pigrid objects of one namespace. */
export interface KubeReader {
  /** True when a cluster is configured (in-cluster service account, KUBECONFIG, or given). */
  readonly inCluster: boolean;
  /** The namespace read; `null` when not in a cluster. */
  readonly namespace: string | null;
  /** Per-call deadline in milliseconds. */
  readonly timeoutMs: number;
  /** Why a configured cluster could not be used (bad KUBECONFIG), else `null`. */
  readonly configProblem: K8sFailure | null;
  /** Pods labelled `app.kubernetes.io/part-of=pigrid`. Empty when not in a cluster. */
  listPods(): Promise<KubeResult<V1Pod[]>>;
  /** All autoscaling/v2 HorizontalPodAutoscalers of the namespace. Empty when not in a cluster. */
  listHpas(): Promise<KubeResult<V2HorizontalPodAutoscaler[]>>;
  /** metrics.k8s.io pod metrics labelled `app.kubernetes.io/part-of=pigrid`. Empty when not in a cluster. */
  listPodMetrics(): Promise<KubeResult<PodMetricsItem[]>>;
}

/** Options of {@link createKubeReader}; all optional. The gateway passes its config's (checked) settings. */
export interface KubeReaderOptions {
  /** Namespace to read (a DNS-1123 label). @default the kubeconfig context's (in a pod: the service-account namespace), else "pigrid" */
  namespace?: string;
  /** Deadline of each API call, in milliseconds. @default 3000 */
  timeoutMs?: number;
  /** Use this config instead of detecting one (the reader then counts as in a cluster). */
  kubeConfig?: KubeConfig;
  /** Environment to detect the cluster from (`KUBERNETES_SERVICE_HOST`, `KUBECONFIG`). @default process.env */
  env?: KubeEnv;
  /** Prefix of the service-account mount, for tests. @default "" (i.e. /var/run/secrets/...) */
  serviceAccountPathPrefix?: string;
}

/**
 * Builds the reader: in a pod (KUBERNETES_SERVICE_HOST set and the token mounted) from the
 * service account; else from the files in KUBECONFIG; else a not-in-cluster reader that answers
 * empty lists. Never throws: a kubeconfig that cannot be used is reported as `configProblem`.
 */
export function createKubeReader(opts: KubeReaderOptions = {}): KubeReader {
  const env = opts.env ?? process.env;
  const tuning = { namespace: opts.namespace, timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const loaded = opts.kubeConfig
    ? checkKubeConfig(opts.kubeConfig)
    : loadKubeConfig(detectKubeConfigSource(env, existsSync, opts.serviceAccountPathPrefix));
  if (loaded === null) return notInCluster(tuning.timeoutMs, null);
  if ('code' in loaded) return notInCluster(tuning.timeoutMs, loaded);
  const context = loaded.getContextObject(loaded.getCurrentContext());
  const namespace = pickNamespace(tuning.namespace, context?.namespace);
  return connectedReader(loaded, namespace, tuning.timeoutMs);
}

function loadKubeConfig(source: KubeConfigSource): KubeConfig | K8sFailure | null {
  if (source.kind === 'none') return null;
  const kc = new KubeConfig();
  try {
    if (source.kind === 'in-cluster') {
      kc.loadFromCluster(source.pathPrefix);
    } else {
      kc.loadFromFile(source.files[0]);
      for (const file of source.files.slice(1)) {
        const extra = new KubeConfig();
        extra.loadFromFile(file);
        kc.mergeConfig(extra, true);
      }
    }
  } catch (err) {
    const where = source.kind === 'in-cluster' ? 'the in-cluster service account' : `KUBECONFIG (${source.files.join(', ')})`;
    return {
      code: 'K8S_CONFIG_INVALID',
      message: `could not load ${where}: check the file exists and is a valid kubeconfig`,
      cause: err,
    };
  }
  return checkKubeConfig(kc);
}

function checkKubeConfig(kc: KubeConfig): KubeConfig | K8sFailure {
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    return {
      code: 'K8S_CONFIG_INVALID',
      message: `the kubeconfig's current context "${kc.getCurrentContext()}" names no cluster with a server: set current-context`,
    };
  }
  // client-node refuses plain http at request time unless TLS verification is off; say so now.
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    return {
      code: 'K8S_CONFIG_INVALID',
      message: `cluster "${cluster.name}" uses plain http (${cluster.server}) but not insecure-skip-tls-verify: client-node refuses that combination`,
    };
  }
  return kc;
}

function notInCluster(timeoutMs: number, configProblem: K8sFailure | null): KubeReader {
  const empty = async <T>(): Promise<KubeResult<T[]>> => ({ ok: true, value: [] });
  return Object.freeze({
    inCluster: false,
    namespace: null,
    timeoutMs,
    configProblem,
    listPods: empty<V1Pod>,
    listHpas: empty<V2HorizontalPodAutoscaler>,
    listPodMetrics: empty<PodMetricsItem>,
  });
}

function connectedReader(kc: KubeConfig, namespace: string, timeoutMs: number): KubeReader {
  const core = kc.makeApiClient(CoreV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const custom = kc.makeApiClient(CustomObjectsApi);

  async function call<T>(resource: KubeResource, run: (options: ConfigurationOptions) => Promise<T>): Promise<KubeResult<T>> {
    try {
      const value = await withDeadline(timeoutMs, (signal) => run(abortOptions(signal)));
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: classifyKubeError(err, resource, namespace) };
    }
  }

  return Object.freeze({
    inCluster: true,
    namespace,
    timeoutMs,
    configProblem: null,
    async listPods() {
      const r = await call('pods', (o) => core.listNamespacedPod({ namespace, labelSelector: PIGRID_LABEL_SELECTOR }, o));
      return r.ok ? { ok: true as const, value: r.value.items ?? [] } : r;
    },
    async listHpas() {
      const r = await call('hpas', (o) => autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }, o));
      return r.ok ? { ok: true as const, value: r.value.items ?? [] } : r;
    },
    async listPodMetrics() {
      const r = await call('metrics', (o) =>
        custom.listNamespacedCustomObject(
          { group: 'metrics.k8s.io', version: 'v1beta1', namespace, plural: 'pods', labelSelector: PIGRID_LABEL_SELECTOR },
          o,
        ),
      );
      if (!r.ok) return r;
      const items: unknown = (r.value as { items?: unknown } | null)?.items;
      if (!Array.isArray(items)) {
        return {
          ok: false as const,
          error: {
            code: 'K8S_BAD_RESPONSE' as const,
            message: `the metrics API answered for namespace "${namespace}" without an items array: check the metrics.k8s.io APIService`,
          },
        };
      }
      return { ok: true as const, value: items.filter(isPodMetricsItem) };
    },
  });
}

/**
 * Per-call options that hand the deadline's signal to the request. client-node 1.x has no timeout
 * option, but its fetch layer passes `RequestContext.getSignal()` to node-fetch, and call-time
 * middleware ("append" keeps the config's own) can set it. The ObjectParam API runs the
 * Observable middleware chain, hence `Observable`, not a Promise. Pinned by the
 * "hanging API server" test in k8s-endpoints.test.ts.
 */
function abortOptions(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return new Observable(Promise.resolve(ctx));
    },
    post: (rsp) => new Observable(Promise.resolve(rsp)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

function isPodMetricsItem(item: unknown): item is PodMetricsItem {
  const name = (item as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string';
}
