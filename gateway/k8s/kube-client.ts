/**
 * The part of the Kubernetes adapter that uses @kubernetes/client-node's values (kube-reader.ts imports it only
 * when a cluster is configured; the library takes about a second to load).
 */
import {
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';

import { withDeadline } from './deadline.js';
import { classifyKubeError, type K8sFailure, type KubeResource } from './k8s-errors.js';
import type { KubeReader, KubeResult, PodMetricsItem } from './kube-reader.js';
import { PIGRID_LABEL_SELECTOR, pickNamespace, type KubeConfigSource } from './kube-settings.js';

/** A configured cluster's kubeconfig, given or loaded from where `source` says, checked; else why it cannot be used. */
export function openKubeConfig(source: KubeConfig | Exclude<KubeConfigSource, { kind: 'none' }>): KubeConfig | K8sFailure {
  return source instanceof KubeConfig ? checkKubeConfig(source) : loadKubeConfig(source);
}

function loadKubeConfig(source: Exclude<KubeConfigSource, { kind: 'none' }>): KubeConfig | K8sFailure {
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

/** A reader of the current context's cluster, in `explicitNamespace` or the context's (see pickNamespace). */
export function connectedReader(kc: KubeConfig, explicitNamespace: string | undefined, timeoutMs: number): KubeReader {
  const namespace = pickNamespace(explicitNamespace, kc.getContextObject(kc.getCurrentContext())?.namespace);
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
