/**
 * Reads the cluster columns of a sample out of `GET /api/k8s/status` and `GET /api/k8s/metrics`.
 * Pure and defensive: a missing field is a blank cell, not an error; int64 fields may arrive as strings.
 */
import type { SampleRow } from './csv.js';

/** The cluster columns of a {@link SampleRow}. */
export type ClusterSnapshot = Pick<
  SampleRow,
  | 'backlog_chunks'
  | 'leases_in_flight'
  | 'workers_ready'
  | 'total_capacity'
  | 'worker_pods_ready'
  | 'hpa_current_replicas'
  | 'hpa_desired_replicas'
  | 'worker_cpu_millicores'
>;

/** Columns from `/api/k8s/status` (everything but CPU). */
export type StatusSnapshot = Omit<ClusterSnapshot, 'worker_cpu_millicores'>;

/** All cluster columns blank (probe failed). */
export const BLANK_STATUS: StatusSnapshot = Object.freeze({
  backlog_chunks: null,
  leases_in_flight: null,
  workers_ready: null,
  total_capacity: null,
  worker_pods_ready: null,
  hpa_current_replicas: null,
  hpa_desired_replicas: null,
});

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] | null => (Array.isArray(v) ? v : null);

/** A finite number, or a decimal string of one (gRPC int64 as JSON); otherwise null. */
export function toNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
}

/** The HPA of the worker Deployment: the one whose target or name mentions "worker", else the only one. */
function workerHpa(hpas: unknown[] | null): Json | null {
  const list = (hpas ?? []).filter(isObject);
  const named = list.find((h) => {
    const target = isObject(h.target) && typeof h.target.name === 'string' ? h.target.name : '';
    return /worker/i.test(target) || (typeof h.name === 'string' && /worker/i.test(h.name));
  });
  return named ?? (list.length === 1 ? list[0] : null);
}

/**
 * Extracts the status columns.
 * @returns null when `body` is not a JSON object (counted as BAD_RESPONSE by the caller).
 */
export function snapshotFromStatus(body: unknown): StatusSnapshot | null {
  if (!isObject(body)) return null;
  const coordinator = isObject(body.coordinator) ? body.coordinator : null;
  const workers = asArray(coordinator?.workers);
  const pods = isObject(body.pods) ? body.pods : null;
  const workerPods = asArray(pods?.worker);
  const hpa = workerHpa(asArray(body.hpas));
  return {
    backlog_chunks: toNumber(coordinator?.backlog_chunks),
    leases_in_flight: toNumber(coordinator?.leases_in_flight),
    workers_ready: workers ? workers.filter((w) => isObject(w) && String(w.state).toUpperCase() === 'READY').length : null,
    total_capacity: toNumber(coordinator?.total_capacity),
    // Outside a cluster the pod list is empty by contract: that is "unknown", not "zero pods".
    worker_pods_ready: body.in_cluster === true && workerPods ? workerPods.filter((p) => isObject(p) && p.ready === true).length : null,
    hpa_current_replicas: toNumber(hpa?.current_replicas),
    hpa_desired_replicas: toNumber(hpa?.desired_replicas),
  };
}

/**
 * Total worker CPU from `/api/k8s/metrics`: `totals.worker.cpu_millicores`, else the sum over pods
 * whose component is "worker".
 * @returns undefined when `body` is not a JSON object; null when no worker metrics are present.
 */
export function cpuFromMetrics(body: unknown): number | null | undefined {
  if (!isObject(body)) return undefined;
  const totals = isObject(body.totals) ? body.totals : null;
  const worker = isObject(totals?.worker) ? totals.worker : null;
  const total = toNumber(worker?.cpu_millicores);
  const pods = (asArray(body.pods) ?? []).filter((p): p is Json => isObject(p) && p.component === 'worker');
  if (total !== null && (pods.length > 0 || (toNumber(worker?.pods) ?? 0) > 0)) return total;
  if (pods.length === 0) return null;
  return pods.reduce((sum, p) => sum + (toNumber(p.cpu_millicores) ?? 0), 0);
}
