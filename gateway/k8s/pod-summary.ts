/**
 * Pure translation of Kubernetes `Pod` objects into the snake_case pod entries of
 * `GET /api/k8s/status`, grouped by the `app.kubernetes.io/component` label.
 */
import type { V1Pod } from '@kubernetes/client-node';

import { COMPONENT_LABEL } from './kube-settings.js';

/** The pigrid roles, plus `other` for pods without a known component label. */
export type Component = 'coordinator' | 'worker' | 'gateway' | 'other';

/** Every {@link Component}, in response order. */
export const COMPONENTS: readonly Component[] = Object.freeze(['coordinator', 'worker', 'gateway', 'other']);

/** One pod in the status response. */
export interface PodStatusJson {
  name: string;
  /** `status.phase`: Pending, Running, Succeeded, Failed or Unknown. */
  phase: string;
  /** True when the pod has containers and every one of them is ready. */
  ready: boolean;
  /** Sum of `restartCount` over the pod's (non-init) containers. */
  restarts: number;
  /** `spec.nodeName`; null while unscheduled. */
  node: string | null;
  /** Seconds since `metadata.creationTimestamp`; null if absent. */
  age_seconds: number | null;
  pod_ip: string | null;
  /** `status.startTime` as RFC 3339; null before the kubelet accepted the pod. */
  started_at: string | null;
}

/** Pods keyed by component, each list sorted by name. */
export type PodsByComponent = Record<Component, PodStatusJson[]>;

/** Maps a label set to its pigrid component; unknown or missing → `other`. */
export function componentOf(labels: Readonly<Record<string, string>> | undefined): Component {
  const value = labels?.[COMPONENT_LABEL];
  return value === 'coordinator' || value === 'worker' || value === 'gateway' ? value : 'other';
}

/** An empty {@link PodsByComponent}. */
export function emptyPodGroups(): PodsByComponent {
  return { coordinator: [], worker: [], gateway: [], other: [] };
}

/** Summarises one pod at wall-clock time `nowMs`. */
export function summarizePod(pod: V1Pod, nowMs: number): PodStatusJson {
  const statuses = pod.status?.containerStatuses ?? [];
  const created = toEpochMs(pod.metadata?.creationTimestamp);
  const started = toEpochMs(pod.status?.startTime);
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: statuses.length > 0 && statuses.every((c) => c.ready === true),
    restarts: statuses.reduce((sum, c) => sum + (c.restartCount ?? 0), 0),
    node: pod.spec?.nodeName ?? null,
    age_seconds: created === null ? null : Math.max(0, Math.floor((nowMs - created) / 1000)),
    pod_ip: pod.status?.podIP ?? null,
    started_at: started === null ? null : new Date(started).toISOString(),
  };
}

/** Summarises and groups pods by component. */
export function groupPods(pods: readonly V1Pod[], nowMs: number): PodsByComponent {
  const groups = emptyPodGroups();
  for (const pod of pods) groups[componentOf(pod.metadata?.labels)].push(summarizePod(pod, nowMs));
  for (const component of COMPONENTS) groups[component].sort((a, b) => a.name.localeCompare(b.name));
  return groups;
}

/** client-node turns date-time fields into `Date`; raw JSON has strings. Accept both. */
export function toEpochMs(value: Date | string | undefined | null): number | null {
  if (value === undefined || value === null) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
