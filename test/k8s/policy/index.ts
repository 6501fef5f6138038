import type { K8sObject, Violation } from './types.js';
import { checkSchemas } from './schema.js';
import {
  checkDrainGrace,
  checkImages,
  checkImmutableTemplates,
  checkLabels,
  checkPodSecurity,
  checkProbes,
  checkResources,
  checkServiceAccountTokens,
  checkServiceLinks,
} from './workloads.js';
import { checkConfig, checkNamespace, checkSelectorsAndPorts, checkWorkerDiscovery } from './wiring.js';
import { checkRbac } from './rbac.js';
import { checkNetworkIntent, checkNetworkIsolation } from './network.js';
import type { AutoscalingExpectations, CapacityBudget } from './autoscaling.js';
import { checkAutoscalerTargets, checkAutoscalingBounds, checkCapacity } from './autoscaling.js';
import { checkAdapterRules, checkMonitoringQueries } from './monitoring.js';
import { checkTls } from './tls.js';

export type { K8sObject, Violation, CheckId } from './types.js';
export { CHECK_IDS } from './types.js';
export type { AutoscalingExpectations, CapacityBudget } from './autoscaling.js';

/** What differs per overlay. */
export interface PolicyOptions {
  /** Autoscaler bounds and metrics per workload name. */
  readonly autoscaling?: AutoscalingExpectations;
  /** Requests budget at maximum scale (small single-node clusters). */
  readonly capacity?: CapacityBudget;
  /** Parsed prometheus-adapter Helm values, required when an HPA uses External metrics. */
  readonly adapterValues?: unknown;
}

/** Runs every check on a rendered overlay; an empty result means the overlay is sound. */
export function runAllChecks(objs: readonly K8sObject[], options: PolicyOptions = {}): Violation[] {
  return [
    ...checkSchemas(objs),
    ...checkNamespace(objs),
    ...checkLabels(objs),
    ...checkSelectorsAndPorts(objs),
    ...checkProbes(objs),
    ...checkConfig(objs),
    ...checkWorkerDiscovery(objs),
    ...checkRbac(objs),
    ...checkServiceAccountTokens(objs),
    ...checkPodSecurity(objs),
    ...checkResources(objs),
    ...checkImages(objs),
    ...checkDrainGrace(objs),
    ...checkServiceLinks(objs),
    ...checkImmutableTemplates(objs),
    ...checkAutoscalerTargets(objs),
    ...(options.autoscaling ? checkAutoscalingBounds(objs, options.autoscaling) : []),
    ...(options.capacity ? checkCapacity(objs, options.capacity) : []),
    ...checkNetworkIsolation(objs),
    ...checkNetworkIntent(objs),
    ...checkMonitoringQueries(objs),
    ...checkAdapterRules(objs, options.adapterValues),
    ...checkTls(objs),
  ];
}

/** One line per violation, for assertion messages. */
export function formatViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `[${v.check}] ${v.object}: ${v.message}`).join('\n');
}
