/**
 * Pure translation of autoscaling/v2 `HorizontalPodAutoscaler` objects into the snake_case
 * entries of `GET /api/k8s/status`.
 */
import type { V2HorizontalPodAutoscaler, V2MetricSpec, V2MetricStatus } from '@kubernetes/client-node';

/** One HPA in the status response. */
export interface HpaJson {
  name: string;
  /** `spec.scaleTargetRef`: what the HPA scales. */
  target: { kind: string; name: string };
  /** `spec.minReplicas`; Kubernetes defaults it to 1. */
  min_replicas: number;
  max_replicas: number;
  /** `status.currentReplicas`; null before the controller's first pass. */
  current_replicas: number | null;
  desired_replicas: number | null;
  /** CPU `averageUtilization` target in percent of requests; null if the HPA has no CPU utilisation metric. */
  target_cpu_utilization: number | null;
  /** Observed CPU utilisation in percent; null until metrics arrive (or if the metrics API is down). */
  current_cpu_utilization: number | null;
  conditions: Array<{ type: string; status: string; reason: string | null; message: string | null }>;
}

/** Summarises one HPA. */
export function summarizeHpa(hpa: V2HorizontalPodAutoscaler): HpaJson {
  const spec = hpa.spec;
  const status = hpa.status;
  return {
    name: hpa.metadata?.name ?? '',
    target: { kind: spec?.scaleTargetRef?.kind ?? '', name: spec?.scaleTargetRef?.name ?? '' },
    min_replicas: spec?.minReplicas ?? 1,
    max_replicas: spec?.maxReplicas ?? 0,
    current_replicas: status?.currentReplicas ?? null,
    desired_replicas: status?.desiredReplicas ?? null,
    target_cpu_utilization: cpuTargetUtilization(spec?.metrics ?? []),
    current_cpu_utilization: cpuCurrentUtilization(status?.currentMetrics ?? []),
    conditions: (status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason ?? null,
      message: c.message ?? null,
    })),
  };
}

/** Summarises HPAs, sorted by name. */
export function summarizeHpas(hpas: readonly V2HorizontalPodAutoscaler[]): HpaJson[] {
  return hpas.map(summarizeHpa).sort((a, b) => a.name.localeCompare(b.name));
}

function cpuTargetUtilization(metrics: readonly V2MetricSpec[]): number | null {
  for (const m of metrics) {
    const source = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
    if (source?.name === 'cpu' && source.target?.averageUtilization !== undefined) return source.target.averageUtilization;
  }
  return null;
}

function cpuCurrentUtilization(metrics: readonly V2MetricStatus[]): number | null {
  for (const m of metrics) {
    const source = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
    if (source?.name === 'cpu' && source.current?.averageUtilization !== undefined) return source.current.averageUtilization;
  }
  return null;
}
