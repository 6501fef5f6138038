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

// Types only: @kubernetes/client-node takes about a second to load (measured: 1.0 s of a 1.4 s gateway start), so
// kube-client.ts, which holds every use of its values, is imported only when a cluster is configured.
import type { KubeConfig, V1Pod, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';

import type { K8sFailure } from './k8s-errors.js';
import { DEFAULT_TIMEOUT_MS, detectKubeConfigSource, type KubeEnv } from './kube-settings.js';

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
 * empty lists. Never rejects: a kubeconfig that cannot be used is reported as `configProblem`.
 * Only a configured cluster loads @kubernetes/client-node.
 */
export async function createKubeReader(opts: KubeReaderOptions = {}): Promise<KubeReader> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const source = opts.kubeConfig ?? detectKubeConfigSource(opts.env ?? process.env, existsSync, opts.serviceAccountPathPrefix);
  if ('kind' in source && source.kind === 'none') return notInCluster(timeoutMs, null);
  const client = await import('./kube-client.js');
  const loaded = client.openKubeConfig(source);
  if ('code' in loaded) return notInCluster(timeoutMs, loaded);
  return client.connectedReader(loaded, opts.namespace, timeoutMs);
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
