/**
 * Assembles the bodies of `GET /api/k8s/status` and `GET /api/k8s/metrics` from a
 * {@link KubeReader} and the coordinator's cluster view. Reads run in parallel, each under its own
 * deadline; every failure becomes an `errors` entry next to the parts that worked.
 */
import { DeadlineExceededError, withDeadline } from './deadline.js';
import type { K8sErrorEntry, K8sErrorSource, K8sFailure } from './k8s-errors.js';
import { summarizeHpas, type HpaJson } from './hpa-summary.js';
import type { KubeReader } from './kube-reader.js';
import { hasComponentLabel, summarizePodMetrics, type MetricsSummary } from './metrics-summary.js';
import { componentOf, emptyPodGroups, groupPods, type Component, type PodsByComponent } from './pod-summary.js';

/** Body of `GET /api/k8s/status`. */
export interface StatusReport {
  in_cluster: boolean;
  namespace: string | null;
  pods: PodsByComponent;
  hpas: HpaJson[];
  /** Whatever the coordinator's cluster view resolved to, or `{ error: { code, message } }`. */
  coordinator: unknown;
  errors: K8sErrorEntry[];
}

/** Body of `GET /api/k8s/metrics`. */
export interface MetricsReport extends MetricsSummary {
  in_cluster: boolean;
  namespace: string | null;
  errors: K8sErrorEntry[];
}

/** What the reports are built from. */
export interface ReportDeps {
  kube: KubeReader;
  /** The coordinator's cluster view; gets a signal that aborts at `coordinatorTimeoutMs`. */
  clusterView: (signal?: AbortSignal) => Promise<unknown>;
  /** Deadline for `clusterView`, in milliseconds. */
  coordinatorTimeoutMs: number;
  /** Wall clock, epoch milliseconds (pod ages). */
  now: () => number;
  /** Called once per failure with its cause, so the caller can log what is not sent. */
  onFailure?: (source: K8sErrorSource, failure: K8sFailure) => void;
}

/** Builds the status body: pods, HPAs and the coordinator view, fetched in parallel. */
export async function buildStatusReport(deps: ReportDeps): Promise<StatusReport> {
  const { kube } = deps;
  const errors = configErrors(deps);
  const [pods, hpas, coordinator] = await Promise.all([kube.listPods(), kube.listHpas(), fetchCoordinator(deps)]);
  const nowMs = deps.now();
  let podGroups = emptyPodGroups();
  if (pods.ok) podGroups = groupPods(pods.value, nowMs);
  else errors.push(report(deps, 'pods', pods.error));
  let hpaList: HpaJson[] = [];
  if (hpas.ok) hpaList = summarizeHpas(hpas.value);
  else errors.push(report(deps, 'hpas', hpas.error));
  if (!coordinator.ok) errors.push(report(deps, 'coordinator', coordinator.error));
  return {
    in_cluster: kube.inCluster,
    namespace: kube.namespace,
    pods: podGroups,
    hpas: hpaList,
    coordinator: coordinator.ok
      ? (coordinator.value ?? null)
      : { error: { code: coordinator.error.code, message: coordinator.error.message } },
    errors,
  };
}

/**
 * Builds the metrics body. The pod list is read only when some metrics item lacks its own
 * component label (older metrics-server builds do not copy labels).
 */
export async function buildMetricsReport(deps: ReportDeps): Promise<MetricsReport> {
  const { kube } = deps;
  const errors = configErrors(deps);
  const metrics = await kube.listPodMetrics();
  let summary = summarizePodMetrics([]);
  if (!metrics.ok) {
    errors.push(report(deps, 'metrics', metrics.error));
  } else {
    const componentByPod = new Map<string, Component>();
    if (!metrics.value.every(hasComponentLabel)) {
      const pods = await kube.listPods();
      if (pods.ok) for (const p of pods.value) componentByPod.set(p.metadata?.name ?? '', componentOf(p.metadata?.labels));
      else errors.push(report(deps, 'pods', pods.error));
    }
    summary = summarizePodMetrics(metrics.value, componentByPod);
  }
  return { in_cluster: kube.inCluster, namespace: kube.namespace, ...summary, errors };
}

type CoordinatorResult = { ok: true; value: unknown } | { ok: false; error: K8sFailure };

async function fetchCoordinator(deps: ReportDeps): Promise<CoordinatorResult> {
  try {
    return { ok: true, value: await withDeadline(deps.coordinatorTimeoutMs, (signal) => deps.clusterView(signal)) };
  } catch (err) {
    if (err instanceof DeadlineExceededError) {
      return {
        ok: false,
        error: {
          code: 'COORDINATOR_TIMEOUT',
          message: `the coordinator's cluster view did not arrive within ${deps.coordinatorTimeoutMs} ms: check the coordinator pod and its gRPC port`,
          cause: err,
        },
      };
    }
    return {
      ok: false,
      error: {
        code: 'COORDINATOR_UNAVAILABLE',
        message: "the coordinator's cluster view could not be fetched: check the coordinator is running; see the gateway log",
        cause: err,
      },
    };
  }
}

function configErrors(deps: ReportDeps): K8sErrorEntry[] {
  const problem = deps.kube.configProblem;
  return problem ? [report(deps, 'config', problem)] : [];
}

function report(deps: ReportDeps, source: K8sErrorSource, failure: K8sFailure): K8sErrorEntry {
  deps.onFailure?.(source, failure);
  return { source, code: failure.code, message: failure.message };
}
