/**
 * JSON Schemas of the 200 responses of `GET /api/k8s/status` and `GET /api/k8s/metrics`,
 * used by Fastify to serialise (and to document) the bodies built in k8s-report.ts.
 */

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const nullableNumber = { type: ['number', 'null'] } as const;

const errorEntry = {
  type: 'object',
  required: ['source', 'code', 'message'],
  properties: {
    source: { type: 'string', enum: ['config', 'pods', 'hpas', 'metrics', 'coordinator'] },
    code: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

const podStatus = {
  type: 'object',
  required: ['name', 'phase', 'ready', 'restarts', 'node', 'age_seconds', 'pod_ip', 'started_at'],
  properties: {
    name: { type: 'string' },
    phase: { type: 'string' },
    ready: { type: 'boolean' },
    restarts: { type: 'integer' },
    node: nullableString,
    age_seconds: nullableInteger,
    pod_ip: nullableString,
    started_at: nullableString,
  },
} as const;

const podList = { type: 'array', items: podStatus } as const;

const hpa = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    target: { type: 'object', properties: { kind: { type: 'string' }, name: { type: 'string' } } },
    min_replicas: { type: 'integer' },
    max_replicas: { type: 'integer' },
    current_replicas: nullableInteger,
    desired_replicas: nullableInteger,
    target_cpu_utilization: nullableNumber,
    current_cpu_utilization: nullableNumber,
    conditions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: { type: 'string' }, status: { type: 'string' }, reason: nullableString, message: nullableString },
      },
    },
  },
} as const;

/** Schema of the `GET /api/k8s/status` body. */
export const statusResponseSchema = {
  type: 'object',
  required: ['in_cluster', 'namespace', 'pods', 'hpas', 'coordinator', 'errors'],
  properties: {
    in_cluster: { type: 'boolean' },
    namespace: nullableString,
    pods: {
      type: 'object',
      properties: { coordinator: podList, worker: podList, gateway: podList, other: podList },
    },
    hpas: { type: 'array', items: hpa },
    // The coordinator's own view (or {error}); its shape belongs to the coordinator, so pass it through.
    coordinator: {},
    errors: { type: 'array', items: errorEntry },
  },
} as const;

const usageTotal = {
  type: 'object',
  properties: { cpu_millicores: { type: 'number' }, memory_bytes: { type: 'integer' }, pods: { type: 'integer' } },
} as const;

/** Schema of the `GET /api/k8s/metrics` body. */
export const metricsResponseSchema = {
  type: 'object',
  required: ['in_cluster', 'namespace', 'pods', 'totals', 'window_seconds', 'timestamp', 'errors'],
  properties: {
    in_cluster: { type: 'boolean' },
    namespace: nullableString,
    pods: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          component: { type: 'string' },
          cpu_millicores: { type: 'number' },
          memory_bytes: { type: 'integer' },
          containers: {
            type: 'array',
            items: {
              type: 'object',
              properties: { name: { type: 'string' }, cpu_millicores: nullableNumber, memory_bytes: nullableInteger },
            },
          },
        },
      },
    },
    totals: {
      type: 'object',
      properties: { coordinator: usageTotal, worker: usageTotal, gateway: usageTotal, other: usageTotal },
    },
    window_seconds: nullableNumber,
    timestamp: nullableString,
    errors: { type: 'array', items: errorEntry },
  },
} as const;
