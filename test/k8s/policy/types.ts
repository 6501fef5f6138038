import type { IObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ILabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector';
import type { Component } from '../app-contract.js';
import { COMPONENTS, LABEL } from '../app-contract.js';

/** One rendered manifest. Fields beyond the type meta are read through the typed views below. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: IObjectMeta & { name: string };
  [field: string]: unknown;
}

/** The checks, each with a stable id that tests and reports refer to. */
export const CHECK_IDS = [
  'schema',
  'crd-shape',
  'namespace',
  'labels',
  'selectors',
  'ports',
  'probes',
  'config',
  'worker-discovery',
  'rbac',
  'service-account-token',
  'pod-security',
  'resources',
  'images',
  'drain-grace',
  'service-links',
  'immutable-templates',
  'autoscaler-target',
  'autoscaling-bounds',
  'capacity',
  'network-isolation',
  'network-intent',
  'monitoring-rules',
  'adapter-rule',
  'tls',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** A broken rule: which check, on which object (`Kind/name`), and why. */
export interface Violation {
  readonly check: CheckId;
  readonly object: string;
  readonly message: string;
}

export type Report = (object: K8sObject | string, message: string) => void;

/** Collects violations of one check. */
export function reporter(check: CheckId, into: Violation[]): Report {
  return (object, message) => into.push({ check, object: typeof object === 'string' ? object : ref(object), message });
}

/** `Kind/name` of an object. */
export function ref(obj: K8sObject): string {
  return `${obj.kind}/${obj.metadata?.name ?? '?'}`;
}

/** A Deployment or StatefulSet, reduced to what the checks need. */
export interface Workload {
  readonly obj: K8sObject;
  readonly component: Component | undefined;
  readonly podLabels: Record<string, string>;
  readonly pod: IPodSpec;
  readonly selector: ILabelSelector | undefined;
}

export const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];

/** Every pod-owning object of the render. */
export function workloads(objs: readonly K8sObject[]): Workload[] {
  return objs
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((obj) => {
      const spec = (obj.spec ?? {}) as { selector?: ILabelSelector; template?: { metadata?: IObjectMeta; spec?: IPodSpec } };
      const podLabels = { ...(spec.template?.metadata?.labels ?? {}) };
      const c = podLabels[LABEL.component];
      const component = (COMPONENTS as readonly string[]).includes(c ?? '') ? (c as Component) : undefined;
      return { obj, component, podLabels, pod: spec.template?.spec ?? { containers: [] }, selector: spec.selector };
    });
}

export function byKind(objs: readonly K8sObject[], kind: string): K8sObject[] {
  return objs.filter((o) => o.kind === kind);
}

export function spec<T>(obj: K8sObject): T {
  return (obj.spec ?? {}) as T;
}

/** Kubernetes label-selector semantics (matchLabels AND matchExpressions; empty matches all). */
export function selectorMatches(selector: ILabelSelector | undefined | null, labels: Record<string, string>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const val = labels[e.key];
    const values = e.values ?? [];
    if (e.operator === 'In' && !(has && values.includes(val))) return false;
    if (e.operator === 'NotIn' && has && values.includes(val)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A map-style selector (Service.spec.selector) as a label selector. */
export function mapSelector(map: Record<string, string> | undefined): ILabelSelector | undefined {
  return map && Object.keys(map).length > 0 ? { matchLabels: map } : undefined;
}

export function selectorKeys(selector: ILabelSelector | undefined): string[] {
  return [...Object.keys(selector?.matchLabels ?? {}), ...(selector?.matchExpressions ?? []).map((e) => e.key)];
}

/** Workloads whose pods a selector picks. */
export function matchingWorkloads(all: readonly Workload[], selector: ILabelSelector | undefined): Workload[] {
  return all.filter((w) => selectorMatches(selector, w.podLabels));
}

/** Parses a CPU quantity to millicores, a memory quantity to bytes. NaN when malformed. */
export function cpuMillis(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  const s = String(q);
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(s);
  if (!m) return NaN;
  return m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

export function memoryBytes(q: string | number | undefined): number {
  if (q === undefined) return NaN;
  const m = /^(\d+(?:\.\d+)?)([kMGT]i?|)$/.exec(String(q));
  if (!m) return NaN;
  const unit = MEMORY_UNITS[m[2] ?? ''];
  return unit === undefined ? NaN : Number(m[1]) * unit;
}
