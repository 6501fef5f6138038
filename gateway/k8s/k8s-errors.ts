/**
 * Error catalogue of the gateway's Kubernetes reader: the stable `code` strings that
 * `GET /api/k8s/status` and `GET /api/k8s/metrics` put in their `errors` array, and the one
 * table that turns a client-node failure into such a code.
 *
 * Causes (client-node's `ApiException` text carries the response headers) are never sent over
 * the wire: they travel in {@link K8sFailure.cause} so the route can log them.
 */
import { AbortError, ApiException, FetchError } from '@kubernetes/client-node';

import { DeadlineExceededError } from './deadline.js';

/** Every code the Kubernetes endpoints may report; docs/errors.md says what each means. Keep codes stable. */
export const K8S_ERROR_CODES = Object.freeze([
  'K8S_CONFIG_INVALID',
  'K8S_UNAUTHORIZED',
  'K8S_FORBIDDEN',
  'K8S_NOT_FOUND',
  'METRICS_API_UNAVAILABLE',
  'K8S_TIMEOUT',
  'K8S_UNREACHABLE',
  'K8S_API_ERROR',
  'K8S_BAD_RESPONSE',
  'COORDINATOR_TIMEOUT',
  'COORDINATOR_UNAVAILABLE',
] as const);

/** A stable error code of the Kubernetes endpoints. */
export type K8sErrorCode = (typeof K8S_ERROR_CODES)[number];

/** Which part of a response an error entry is about. */
export type K8sErrorSource = 'config' | 'pods' | 'hpas' | 'metrics' | 'coordinator';

/** One entry of the `errors` array, exactly as serialised. */
export interface K8sErrorEntry {
  source: K8sErrorSource;
  code: K8sErrorCode;
  /** Names the resource and what to do; never contains a stack or a raw response. */
  message: string;
}

/** A failed read, as a value: what the route reports plus the cause it logs. */
export interface K8sFailure {
  code: K8sErrorCode;
  message: string;
  /** HTTP status of the API server's answer, when there was one. */
  httpStatus?: number;
  /** The original error, for logs only. */
  cause?: unknown;
}

/** The resources the reader lists; also the RBAC vocabulary used in messages. */
export type KubeResource = 'pods' | 'hpas' | 'metrics';

const RBAC_NAME: Record<KubeResource, string> = {
  pods: 'pods',
  hpas: 'horizontalpodautoscalers.autoscaling',
  metrics: 'pods.metrics.k8s.io',
};

/**
 * Translates whatever a client-node call threw into a {@link K8sFailure}. The one table from
 * transport/HTTP outcome to catalogue code.
 */
export function classifyKubeError(err: unknown, resource: KubeResource, namespace: string): K8sFailure {
  const what = `${RBAC_NAME[resource]} in namespace "${namespace}"`;
  if (err instanceof DeadlineExceededError || err instanceof AbortError) {
    return {
      code: 'K8S_TIMEOUT',
      message: `listing ${what} took longer than ${timeoutOf(err)}: the API server is slow or unreachable; check the network path or raise PIGRID_K8S_TIMEOUT_MS`,
      cause: err,
    };
  }
  if (err instanceof ApiException) return classifyHttpStatus(err.code, resource, what, err);
  if (err instanceof FetchError) {
    const reason = (err as FetchError & { code?: string }).code ?? err.type;
    return {
      code: 'K8S_UNREACHABLE',
      message: `could not reach the API server to list ${what} (${reason}): check the cluster address and the gateway's network`,
      cause: err,
    };
  }
  if (err instanceof SyntaxError) {
    return { code: 'K8S_BAD_RESPONSE', message: `the API server's answer for ${what} is not valid JSON`, cause: err };
  }
  return {
    code: 'K8S_API_ERROR',
    message: `listing ${what} failed unexpectedly; see the gateway log`,
    cause: err,
  };
}

function classifyHttpStatus(status: number, resource: KubeResource, what: string, cause: unknown): K8sFailure {
  const base = { httpStatus: status, cause };
  if (status === 401) {
    return {
      ...base,
      code: 'K8S_UNAUTHORIZED',
      message: `the API server rejected the gateway's credentials (401) when listing ${what}: check the ServiceAccount token or the kubeconfig user`,
    };
  }
  if (status === 403) {
    return {
      ...base,
      code: 'K8S_FORBIDDEN',
      message: `the gateway's ServiceAccount may not list ${what} (403): check the Role grants get/list on ${RBAC_NAME[resource]} and the RoleBinding`,
    };
  }
  if (resource === 'metrics' && (status === 404 || status === 503)) {
    return {
      ...base,
      code: 'METRICS_API_UNAVAILABLE',
      message:
        status === 404
          ? `the metrics API (metrics.k8s.io/v1beta1) is not registered (404): install metrics-server`
          : `the metrics API (metrics.k8s.io/v1beta1) is registered but its backend is unavailable (503): check the metrics-server pods and APIService v1beta1.metrics.k8s.io`,
    };
  }
  if (status === 404) {
    return {
      ...base,
      code: 'K8S_NOT_FOUND',
      message:
        resource === 'hpas'
          ? `the API server does not serve ${what} (404): autoscaling/v2 needs Kubernetes 1.23 or later`
          : `the API server does not serve ${what} (404): check the cluster address points at a Kubernetes API server`,
    };
  }
  return {
    ...base,
    code: 'K8S_API_ERROR',
    message: `the API server answered ${status} when listing ${what}; see the gateway log`,
  };
}

function timeoutOf(err: unknown): string {
  return err instanceof DeadlineExceededError ? `${err.timeoutMs} ms` : 'the timeout';
}
