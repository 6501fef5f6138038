import { beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, loadYaml, renderKustomization } from './render.js';
import type { K8sObject, PolicyOptions } from './policy/index.js';
import { formatViolations, runAllChecks } from './policy/index.js';
import { autoscalers } from './policy/autoscaling.js';
import { dashboardTargets, grafanaDashboards } from './policy/monitoring.js';
import { workloads } from './policy/types.js';

const kubectl = hasKubectl();
const Mi = 2 ** 20;

const workerBehaviour = { explicitBehavior: true } as const;

/** Each overlay and what it promises beyond the common checks. */
const OVERLAYS: Record<string, { dir: string; options: PolicyOptions }> = {
  base: { dir: 'k8s/base', options: {} },
  'k3s-1c1g': {
    dir: 'k8s/overlays/k3s-1c1g',
    options: {
      autoscaling: {
        'pigrid-worker': { min: 1, max: 2, cpuUtilization: 60, ...workerBehaviour },
        'pigrid-gateway': { min: 1, max: 1, cpuUtilization: 70 },
      },
      // What a 1 vCPU / 1 GB k3s node leaves after k3s, CoreDNS and metrics-server.
      capacity: { cpuMillis: 800, memoryBytes: 512 * Mi },
    },
  },
  production: {
    dir: 'k8s/overlays/production',
    options: {
      autoscaling: {
        'pigrid-worker': { min: 2, max: 20, cpuUtilization: 60, externalMetric: 'pigrid_backlog_chunks', ...workerBehaviour },
        'pigrid-gateway': { min: 2, max: 6, cpuUtilization: 70 },
      },
      adapterValues: loadYaml('k8s/overlays/production/prometheus-adapter/values.yaml')[0],
    },
  },
  keda: {
    dir: 'k8s/overlays/keda',
    options: {
      autoscaling: {
        'pigrid-worker': { min: 2, max: 20, cpuUtilization: 60, externalMetric: 'pigrid_backlog_chunks', ...workerBehaviour },
        'pigrid-gateway': { min: 2, max: 6, cpuUtilization: 70 },
      },
    },
  },
};

describe.skipIf(!kubectl)(`kustomize overlays${kubectl ? '' : ' (SKIPPED: kubectl is not on PATH, nothing can be rendered)'}`, () => {
  const rendered: Record<string, K8sObject[]> = {};

  beforeAll(() => {
    for (const [name, o] of Object.entries(OVERLAYS)) rendered[name] = renderKustomization(o.dir);
  });

  for (const [name, o] of Object.entries(OVERLAYS)) {
    it(`${name} renders and passes every policy check`, () => {
      const objs = rendered[name] ?? [];
      expect(objs.length).toBeGreaterThan(20);
      const violations = runAllChecks(objs, o.options);
      expect(violations, formatViolations(violations)).toEqual([]);
    });
  }

  it('k3s-1c1g keeps SQLite on local-path and runs the imported, pinned image', () => {
    const objs = rendered['k3s-1c1g'] ?? [];
    const sts = objs.find((x) => x.kind === 'StatefulSet');
    const vct = (sts?.spec as { volumeClaimTemplates: { spec: { storageClassName?: string } }[] }).volumeClaimTemplates[0];
    expect(vct?.spec.storageClassName).toBe('local-path');
    const images = new Set(workloads(objs).flatMap((w) => w.pod.containers.map((c) => c.image)));
    expect([...images]).toEqual(['docker.io/library/pigrid:0.1.0']);
  });

  it('production scrapes every component and alerts on mismatches, backlog without workers and worker loss', () => {
    const objs = rendered.production ?? [];
    const monitors = objs.filter((x) => x.kind === 'PodMonitor' || x.kind === 'ServiceMonitor').map((x) => `${x.kind}/${x.metadata.name}`);
    expect(monitors.sort()).toEqual(['PodMonitor/pigrid-coordinator', 'PodMonitor/pigrid-worker', 'ServiceMonitor/pigrid-gateway']);
    const rules = objs
      .filter((x) => x.kind === 'PrometheusRule')
      .flatMap((x) => (x.spec as { groups: { rules: { alert?: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert)));
    expect(rules).toEqual(expect.arrayContaining(['PigridResultMismatch', 'PigridBacklogWithoutWorkers', 'PigridWorkerDown']));
  });

  it('production ships the Grafana dashboard for the sidecar, charting throughput, backlog, workers, leases, trust and latency', () => {
    const maps = grafanaDashboards(rendered.production ?? []);
    expect(maps.map((m) => m.obj.metadata.name)).toEqual(['pigrid-grafana-dashboard']);
    const [{ dashboards }] = maps;
    expect(dashboards.map((d) => d.key)).toEqual(['pigrid.json']);
    const json = (dashboards[0] as { json: { uid: string; title: string; templating: { list: { name: string; type: string }[] } } }).json;
    expect(json.uid).toBe('pigrid-overview');
    expect(json.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
    const exprs = dashboardTargets(json)
      .map((t) => t.expr)
      .join('\n');
    // Each topic the issue asks for has a query on its series (the names are checked against the app by monitoring-rules).
    for (const series of [
      'pigrid_samples_total',
      'pigrid_backlog_chunks',
      'pigrid_workers_connected',
      'pigrid_leases_in_flight',
      'pigrid_result_mismatches_total',
      'pigrid_workers_quarantined',
      'pigrid_results_rejected_total',
      'pigrid_http_request_duration_seconds_bucket',
    ])
      expect(exprs).toContain(series);
    // The small overlays have no Grafana to feed (keda builds on production and keeps it).
    for (const other of ['base', 'k3s-1c1g']) expect(grafanaDashboards(rendered[other] ?? [])).toEqual([]);
    expect(grafanaDashboards(rendered.keda ?? []).map((m) => m.obj.metadata.name)).toEqual(['pigrid-grafana-dashboard']);
  });

  it('keda replaces the worker HPA with a ScaledObject instead of adding a second autoscaler', () => {
    const scalers = autoscalers(rendered.keda ?? []).filter((a) => a.target.name === 'pigrid-worker');
    expect(scalers.map((a) => a.obj.kind)).toEqual(['ScaledObject']);
    const prodScalers = autoscalers(rendered.production ?? []).filter((a) => a.target.name === 'pigrid-worker');
    expect(prodScalers.map((a) => a.obj.kind)).toEqual(['HorizontalPodAutoscaler']);
  });
});
