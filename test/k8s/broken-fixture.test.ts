import { beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, loadYaml, renderKustomization } from './render.js';
import type { CheckId, K8sObject, Violation } from './policy/index.js';
import { CHECK_IDS, formatViolations, runAllChecks } from './policy/index.js';

const kubectl = hasKubectl();
const FIXTURE = 'test/k8s/fixtures/broken';

/** Every mistake planted in fixtures/broken, as the violation it must produce. */
const EXPECTED: readonly { check: CheckId; object: string; says: string }[] = [
  { check: 'schema', object: 'Service/pigrid-gateway', says: 'port must be integer' },
  { check: 'crd-shape', object: 'ServiceMonitor/broken-gateway', says: 'at least one endpoint' },
  { check: 'crd-shape', object: 'PrometheusRule/broken', says: 'needs labels.severity' },
  { check: 'namespace', object: 'ServiceMonitor/broken-gateway', says: 'namespace is default' },
  { check: 'labels', object: 'PodDisruptionBudget/pigrid-gateway', says: 'app.kubernetes.io/version' },
  { check: 'selectors', object: 'PodDisruptionBudget/pigrid-worker', says: 'matches 0' },
  { check: 'selectors', object: 'PodDisruptionBudget/pigrid-gateway', says: 'matches 0' }, // pods carry no version label
  { check: 'selectors', object: 'NetworkPolicy/broken-peer', says: 'matches no workload' },
  { check: 'ports', object: 'Service/pigrid-coordinator', says: 'targetPort grpcx' },
  { check: 'ports', object: 'PodMonitor/broken-gateway', says: 'port "metrics"' },
  { check: 'probes', object: 'Deployment/pigrid-gateway', says: 'readinessProbe port admin' },
  { check: 'probes', object: 'Deployment/pigrid-worker', says: 'livenessProbe port 50062' },
  { check: 'probes', object: 'Deployment/pigrid-worker', says: 'health service "readiness"' },
  { check: 'config', object: 'Deployment/pigrid-worker', says: 'unknown setting PIGRID_DRAIN_GRACE' },
  { check: 'config', object: 'Deployment/pigrid-gateway', says: 'PIGRID_COORDINATOR port 50052' },
  { check: 'worker-discovery', object: 'StatefulSet/pigrid-coordinator', says: 'pigrid-worker.default' },
  { check: 'worker-discovery', object: 'Service/pigrid-worker', says: 'no port named "grpc"' },
  { check: 'worker-discovery', object: 'Service/pigrid-worker', says: 'publishNotReadyAddresses' },
  { check: 'rbac', object: 'ServiceAccount/pigrid-gateway', says: 'grants /pods:watch' },
  { check: 'rbac', object: 'ServiceAccount/pigrid-gateway', says: 'grants /secrets:get' },
  { check: 'rbac', object: 'ClusterRoleBinding/broken-gateway-cluster', says: 'cluster-wide' },
  { check: 'service-account-token', object: 'Deployment/pigrid-worker', says: 'must not mount' },
  { check: 'pod-security', object: 'StatefulSet/pigrid-coordinator', says: 'allowPrivilegeEscalation' },
  { check: 'pod-security', object: 'StatefulSet/pigrid-coordinator', says: 'readOnlyRootFilesystem' },
  { check: 'pod-security', object: 'Namespace/pigrid', says: 'restricted' },
  { check: 'resources', object: 'Deployment/pigrid-gateway', says: 'limits.cpu is missing' },
  { check: 'resources', object: 'Deployment/pigrid-gateway', says: 'limits.memory is missing' },
  { check: 'images', object: 'Deployment/pigrid-worker', says: '"latest"' },
  { check: 'drain-grace', object: 'Deployment/pigrid-worker', says: '15s' },
  { check: 'service-links', object: 'StatefulSet/pigrid-coordinator', says: 'enableServiceLinks' },
  { check: 'immutable-templates', object: 'StatefulSet/pigrid-coordinator', says: 'volumeClaimTemplate data' },
  { check: 'autoscaler-target', object: 'HorizontalPodAutoscaler/pigrid-gateway', says: 'pigrid-gatewy' },
  { check: 'autoscaler-target', object: 'Deployment/pigrid-gateway', says: 'spec.replicas' },
  { check: 'autoscaling-bounds', object: 'HorizontalPodAutoscaler/pigrid-worker', says: '1..5' },
  { check: 'capacity', object: 'budget/cpu', says: 'exceed' },
  { check: 'capacity', object: 'budget/memory', says: 'exceed' },
  { check: 'network-isolation', object: 'NetworkPolicy/broken-gateway-to-worker', says: 'worker port 50061' },
  { check: 'network-intent', object: 'flow/gateway->worker:50061/TCP', says: 'should be blocked' },
  { check: 'monitoring-rules', object: 'PrometheusRule/broken', says: 'unknown series pigrid_backlog_chunk' },
  { check: 'monitoring-rules', object: 'PrometheusRule/broken', says: 'namespace "default"' },
  { check: 'monitoring-rules', object: 'ConfigMap/broken-dashboard', says: 'panel "rate": unknown series pigrid_samples_per_second' },
  { check: 'monitoring-rules', object: 'ConfigMap/broken-dashboard', says: 'datasource must be the ${datasource} variable' },
  { check: 'adapter-rule', object: 'HorizontalPodAutoscaler/pigrid-worker', says: 'not a coordinator gauge' },
  { check: 'adapter-rule', object: 'HorizontalPodAutoscaler/pigrid-worker', says: 'resource "namespace"' },
  { check: 'adapter-rule', object: 'HorizontalPodAutoscaler/pigrid-worker', says: '<<.LabelMatchers>>' },
  { check: 'tls', object: 'Deployment/pigrid-worker', says: 'runs gRPC in plaintext: PIGRID_INSECURE=true' },
];

describe.skipIf(!kubectl)(`broken fixture${kubectl ? '' : ' (SKIPPED: kubectl is not on PATH, nothing can be rendered)'}`, () => {
  let objs: K8sObject[] = [];
  let violations: Violation[] = [];

  beforeAll(() => {
    objs = renderKustomization(FIXTURE);
    violations = runAllChecks(objs, {
      autoscaling: { 'pigrid-worker': { min: 1, max: 2, cpuUtilization: 60, explicitBehavior: true } },
      capacity: { cpuMillis: 800, memoryBytes: 512 * 2 ** 20 },
      adapterValues: loadYaml(`${FIXTURE}/prometheus-adapter-values.yaml`)[0],
    });
  });

  for (const e of EXPECTED) {
    it(`[${e.check}] flags ${e.object}: ${e.says}`, () => {
      const hit = violations.some((v) => v.check === e.check && v.object === e.object && v.message.includes(e.says));
      expect(hit, `not reported; got:\n${formatViolations(violations.filter((v) => v.check === e.check))}`).toBe(true);
    });
  }

  it('has a planted mistake for every check, so none of them is untested', () => {
    const covered = new Set(EXPECTED.map((e) => e.check));
    expect(CHECK_IDS.filter((id) => !covered.has(id))).toEqual([]);
  });

  it('reports nothing it was not meant to (every violation is one of the planted mistakes)', () => {
    const unexpected = violations.filter((v) => !EXPECTED.some((e) => e.check === v.check && e.object === v.object));
    expect(unexpected, formatViolations(unexpected)).toEqual([]);
  });
});
