import type { IHorizontalPodAutoscalerSpec } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerSpec';
import type { IHorizontalPodAutoscalerBehavior } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerBehavior';
import type { K8sObject, Violation } from './types.js';
import { cpuMillis, memoryBytes, reporter, spec, workloads } from './types.js';
import { allContainers } from './workloads.js';
import { CONTRACT } from '../app-contract.js';

/** An HPA or a KEDA ScaledObject, reduced to what the checks compare. */
export interface Autoscaler {
  readonly obj: K8sObject;
  readonly target: { readonly apiVersion: string; readonly kind: string; readonly name: string };
  readonly min: number;
  readonly max: number;
  readonly cpuUtilization: number | undefined;
  readonly externals: readonly { readonly metric: string; readonly targetType: string }[];
  readonly behavior: IHorizontalPodAutoscalerBehavior | undefined;
}

interface ScaledObjectSpec {
  scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
  minReplicaCount?: number;
  maxReplicaCount?: number;
  advanced?: { horizontalPodAutoscalerConfig?: { behavior?: IHorizontalPodAutoscalerBehavior } };
  triggers?: { type: string; metricType?: string; metadata?: Record<string, string> }[];
}

/** Every HPA (autoscaling/v2) and ScaledObject of the render. */
export function autoscalers(objs: readonly K8sObject[]): Autoscaler[] {
  const out: Autoscaler[] = [];
  for (const obj of objs) {
    if (obj.kind === 'HorizontalPodAutoscaler') {
      const s = spec<IHorizontalPodAutoscalerSpec>(obj);
      const cpu = (s.metrics ?? []).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
      out.push({
        obj,
        target: { apiVersion: s.scaleTargetRef?.apiVersion ?? '', kind: s.scaleTargetRef?.kind ?? '', name: s.scaleTargetRef?.name ?? '' },
        min: s.minReplicas ?? 1,
        max: s.maxReplicas,
        cpuUtilization: cpu?.resource?.target.type === 'Utilization' ? cpu.resource.target.averageUtilization : undefined,
        externals: (s.metrics ?? [])
          .filter((m) => m.type === 'External' && m.external)
          .map((m) => ({ metric: m.external?.metric.name ?? '', targetType: m.external?.target.type ?? '' })),
        behavior: s.behavior,
      });
    } else if (obj.kind === 'ScaledObject') {
      const s = spec<ScaledObjectSpec>(obj);
      const triggers = s.triggers ?? [];
      const cpu = triggers.find((t) => t.type === 'cpu' && (t.metricType ?? t.metadata?.type) === 'Utilization');
      out.push({
        obj,
        target: {
          apiVersion: s.scaleTargetRef?.apiVersion ?? 'apps/v1',
          kind: s.scaleTargetRef?.kind ?? 'Deployment',
          name: s.scaleTargetRef?.name ?? '',
        },
        min: s.minReplicaCount ?? 0,
        max: s.maxReplicaCount ?? 100,
        cpuUtilization: cpu ? Number(cpu.metadata?.value) : undefined,
        externals: triggers
          .filter((t) => t.type === 'prometheus')
          .map((t) => ({
            metric: /pigrid_[a-z0-9_]+/.exec(t.metadata?.query ?? '')?.[0] ?? '',
            targetType: t.metricType ?? 'AverageValue',
          })),
        behavior: s.advanced?.horizontalPodAutoscalerConfig?.behavior,
      });
    }
  }
  return out;
}

/**
 * `autoscaler-target`: each autoscaler targets a real workload; at most one per workload;
 * autoscaled workloads leave spec.replicas to it; singletons are never autoscaled.
 */
export function checkAutoscalerTargets(objs: readonly K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const report = reporter('autoscaler-target', out);
  const all = workloads(objs);
  const scalers = autoscalers(objs);
  for (const a of scalers) {
    const w = all.find(
      (x) => x.obj.kind === a.target.kind && x.obj.metadata.name === a.target.name && x.obj.apiVersion === a.target.apiVersion,
    );
    if (!w) report(a.obj, `scaleTargetRef ${a.target.apiVersion} ${a.target.kind}/${a.target.name} is not in the render`);
    if (!(a.min >= 1 && a.min <= a.max)) report(a.obj, `replica bounds ${a.min}..${a.max} are invalid (min must be >= 1)`);
  }
  for (const w of all) {
    if (!w.component) continue;
    const mine = scalers.filter((a) => a.target.kind === w.obj.kind && a.target.name === w.obj.metadata.name);
    const replicas = (w.obj.spec as { replicas?: number } | undefined)?.replicas;
    if (mine.length > 1)
      report(w.obj, `targeted by ${mine.length} autoscalers (${mine.map((a) => a.obj.kind).join(', ')}): they would fight`);
    if (CONTRACT[w.component].singleton) {
      if (mine.length > 0) report(w.obj, `the ${w.component} is a singleton and must not be autoscaled`);
      if (replicas !== 1) report(w.obj, `the ${w.component} must run exactly 1 replica`);
    } else {
      if (mine.length === 0) report(w.obj, `the ${w.component} must be autoscaled`);
      if (replicas !== undefined) report(w.obj, 'spec.replicas is set on an autoscaled workload: every apply would reset the autoscaler');
    }
  }
  return out;
}

export interface AutoscalerExpectation {
  readonly min: number;
  readonly max: number;
  readonly cpuUtilization: number;
  /** External metric (target AverageValue) the autoscaler must also use. */
  readonly externalMetric?: string;
  /** Requires explicit behavior: scale-up without stabilisation, scale-down with >= 60 s. */
  readonly explicitBehavior?: boolean;
}

/** Expectations per workload name. */
export type AutoscalingExpectations = Readonly<Record<string, AutoscalerExpectation>>;

/** `autoscaling-bounds`: the overlay's autoscalers have the intended bounds and metrics. */
export function checkAutoscalingBounds(objs: readonly K8sObject[], want: AutoscalingExpectations): Violation[] {
  const out: Violation[] = [];
  const report = reporter('autoscaling-bounds', out);
  for (const [name, e] of Object.entries(want)) {
    const a = autoscalers(objs).find((x) => x.target.name === name);
    if (!a) {
      report(`workload/${name}`, 'has no autoscaler');
      continue;
    }
    if (a.min !== e.min || a.max !== e.max) report(a.obj, `replicas ${a.min}..${a.max}, expected ${e.min}..${e.max}`);
    if (a.cpuUtilization !== e.cpuUtilization) report(a.obj, `CPU target ${String(a.cpuUtilization)}%, expected ${e.cpuUtilization}%`);
    if (e.externalMetric && !a.externals.some((x) => x.metric === e.externalMetric && x.targetType === 'AverageValue')) {
      report(a.obj, `missing External metric ${e.externalMetric} with target AverageValue (backlog per replica)`);
    }
    if (e.explicitBehavior) {
      const up = a.behavior?.scaleUp;
      const down = a.behavior?.scaleDown;
      if (!up || (up.stabilizationWindowSeconds ?? 0) !== 0 || !(up.policies ?? []).length)
        report(a.obj, 'scale-up must be explicit and unstabilised (stabilizationWindowSeconds 0, policies)');
      if (!down || !((down.stabilizationWindowSeconds ?? -1) >= 60) || !(down.policies ?? []).length)
        report(a.obj, 'scale-down must be explicit and stabilised (>= 60 s window, policies)');
    }
  }
  return out;
}

/** What the node leaves for pigrid's requests. */
export interface CapacityBudget {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/** `capacity`: the sum of requests at every autoscaler's maximum fits the budget. */
export function checkCapacity(objs: readonly K8sObject[], budget: CapacityBudget): Violation[] {
  const out: Violation[] = [];
  const report = reporter('capacity', out);
  let cpu = 0;
  let mem = 0;
  const scalers = autoscalers(objs);
  for (const w of workloads(objs)) {
    const a = scalers.find((x) => x.target.kind === w.obj.kind && x.target.name === w.obj.metadata.name);
    const n = a?.max ?? (w.obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;
    for (const c of allContainers(w)) {
      cpu += n * (cpuMillis(c.resources?.requests?.cpu) || 0);
      mem += n * (memoryBytes(c.resources?.requests?.memory) || 0);
    }
  }
  const mi = (b: number): string => `${Math.round(b / 2 ** 20)}Mi`;
  if (cpu > budget.cpuMillis) report('budget/cpu', `requests at maximum scale ${cpu}m exceed the budget ${budget.cpuMillis}m`);
  if (mem > budget.memoryBytes) report('budget/memory', `requests at maximum scale ${mi(mem)} exceed the budget ${mi(budget.memoryBytes)}`);
  return out;
}
