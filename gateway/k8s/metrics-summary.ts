/**
 * Pure translation of metrics.k8s.io `PodMetrics` items into `GET /api/k8s/metrics` entries:
 * CPU in millicores, memory in bytes, totals per component.
 */
import type { PodMetricsItem } from './kube-reader.js';
import { componentOf, COMPONENTS, type Component } from './pod-summary.js';
import { parseCpuMillicores, parseGoDurationSeconds, parseMemoryBytes } from './quantity.js';
import { COMPONENT_LABEL } from './kube-settings.js';

/** One container's usage; null where the quantity was missing or malformed. */
export interface ContainerUsageJson {
  name: string;
  cpu_millicores: number | null;
  memory_bytes: number | null;
}

/** One pod's usage: the sum over its containers (missing values count as 0). */
export interface PodUsageJson {
  name: string;
  component: Component;
  cpu_millicores: number;
  memory_bytes: number;
  containers: ContainerUsageJson[];
}

/** Usage summed over a component's pods. */
export interface UsageTotalJson {
  cpu_millicores: number;
  memory_bytes: number;
  pods: number;
}

/** The metrics part of the response. */
export interface MetricsSummary {
  pods: PodUsageJson[];
  totals: Record<Component, UsageTotalJson>;
  /** Longest sampling window among the items, in seconds; null without items. */
  window_seconds: number | null;
  /** Newest sample's end (RFC 3339); null without items. */
  timestamp: string | null;
}

/** True when an item carries its own component label (metrics-server copies pod labels). */
export function hasComponentLabel(item: PodMetricsItem): boolean {
  return typeof item.metadata.labels?.[COMPONENT_LABEL] === 'string';
}

/**
 * Summarises metrics items. A pod's component comes from the item's own labels, else from
 * `componentByPod` (built from the pod list), else `other`.
 */
export function summarizePodMetrics(
  items: readonly PodMetricsItem[],
  componentByPod: ReadonlyMap<string, Component> = new Map(),
): MetricsSummary {
  const totals = Object.fromEntries(COMPONENTS.map((c) => [c, { cpu_millicores: 0, memory_bytes: 0, pods: 0 }])) as Record<
    Component,
    UsageTotalJson
  >;
  let windowSeconds: number | null = null;
  let newest: number | null = null;
  const pods: PodUsageJson[] = [];
  for (const item of items) {
    const name = item.metadata.name;
    const component = hasComponentLabel(item) ? componentOf(item.metadata.labels) : (componentByPod.get(name) ?? 'other');
    const containers = (item.containers ?? []).map((c) => ({
      name: c.name,
      cpu_millicores: parseCpuMillicores(c.usage?.cpu),
      memory_bytes: parseMemoryBytes(c.usage?.memory),
    }));
    const pod: PodUsageJson = {
      name,
      component,
      cpu_millicores: roundNano(containers.reduce((s, c) => s + (c.cpu_millicores ?? 0), 0)),
      memory_bytes: containers.reduce((s, c) => s + (c.memory_bytes ?? 0), 0),
      containers,
    };
    pods.push(pod);
    const total = totals[component];
    total.cpu_millicores = roundNano(total.cpu_millicores + pod.cpu_millicores);
    total.memory_bytes += pod.memory_bytes;
    total.pods += 1;
    const window = parseGoDurationSeconds(item.window);
    if (window !== null && (windowSeconds === null || window > windowSeconds)) windowSeconds = window;
    const at = item.timestamp === undefined ? Number.NaN : Date.parse(item.timestamp);
    if (!Number.isNaN(at) && (newest === null || at > newest)) newest = at;
  }
  pods.sort((a, b) => a.name.localeCompare(b.name));
  return {
    pods,
    totals,
    window_seconds: windowSeconds,
    timestamp: newest === null ? null : new Date(newest).toISOString(),
  };
}

/** Millicores are kept to nanocore precision; rounding stops float noise in sums. */
function roundNano(millicores: number): number {
  return Math.round(millicores * 1e6) / 1e6;
}
