/**
 * `GET /api/k8s/status` and `GET /api/k8s/metrics`: what Kubernetes says about pigrid's pods,
 * autoscalers and resource usage, next to the coordinator's own view.
 *
 * Both answer 200 whenever the gateway itself works: outside a cluster with `in_cluster: false`,
 * and when the API server refuses, times out or lacks the metrics API, with the parts that worked
 * and an `errors` entry per failure (codes in gateway/k8s/k8s-errors.ts). Causes are logged, not sent.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

import type { K8sErrorSource, K8sFailure } from '../k8s/k8s-errors.js';
import { buildMetricsReport, buildStatusReport, type ReportDeps } from '../k8s/k8s-report.js';
import type { KubeReader } from '../k8s/kube-reader.js';
import { metricsResponseSchema, statusResponseSchema } from '../k8s/k8s-schemas.js';

/** Options of {@link registerK8sRoutes}. */
export interface K8sRoutesOptions {
  /** From `createKubeReader()`; a not-in-cluster reader makes both routes answer `in_cluster: false`. */
  kube: KubeReader;
  /** The coordinator's cluster view, shown as `coordinator` in the status body. */
  clusterView: (signal?: AbortSignal) => Promise<unknown>;
  /** Deadline for `clusterView`, in milliseconds. @default kube.timeoutMs (3000 unless configured) */
  coordinatorTimeoutMs?: number;
  /** Wall clock in epoch milliseconds, for pod ages. @default Date.now */
  now?: () => number;
}

/** Registers `GET /api/k8s/status` and `GET /api/k8s/metrics` on `app`. */
export function registerK8sRoutes(app: FastifyInstance, opts: K8sRoutesOptions): void {
  const deps = (log: FastifyBaseLogger): ReportDeps => ({
    kube: opts.kube,
    clusterView: opts.clusterView,
    coordinatorTimeoutMs: opts.coordinatorTimeoutMs ?? opts.kube.timeoutMs,
    now: opts.now ?? Date.now,
    onFailure: (source, failure) => logFailure(log, source, failure),
  });

  app.get(
    '/api/k8s/status',
    {
      schema: {
        summary: 'The pool as Kubernetes and the coordinator see it',
        description:
          'Pods per component, HPAs (current/desired/min/max replicas, CPU), and the coordinator’s view of its workers. ' +
          'Always 200 while the gateway works: outside a cluster `in_cluster: false`; a part that failed is left out ' +
          'with an `errors` entry (codes in docs/errors.md, "The Kubernetes endpoints").',
        tags: ['cluster'],
        response: { 200: { description: 'The status', ...statusResponseSchema } },
      },
    },
    async (request) => buildStatusReport(deps(request.log)),
  );

  app.get(
    '/api/k8s/metrics',
    {
      schema: {
        summary: 'CPU and memory per pod (metrics-server), totals per component',
        description: 'Always 200 while the gateway works; a part that failed is left out with an `errors` entry.',
        tags: ['cluster'],
        response: { 200: { description: 'The usage', ...metricsResponseSchema } },
      },
    },
    async (request) => buildMetricsReport(deps(request.log)),
  );
}

function logFailure(log: FastifyBaseLogger, source: K8sErrorSource, failure: K8sFailure): void {
  log.warn({ source, code: failure.code, httpStatus: failure.httpStatus, err: failure.cause }, `k8s ${source}: ${failure.message}`);
}
