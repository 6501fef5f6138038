/**
 * Resolves, once, where the gateway's Kubernetes reader gets its cluster, namespace and timeout
 * from. Pure apart from the injected `fileExists`, so each rule is unit-testable.
 */
import { delimiter } from 'node:path';

/** Default Kubernetes service-account mount, as client-node's `loadFromCluster()` reads it. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Label every pigrid object carries; the reader lists pods and pod metrics with it. */
export const PIGRID_LABEL_SELECTOR = 'app.kubernetes.io/part-of=pigrid';

/** Label that names a pod's role: coordinator, worker or gateway. */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** Namespace used when nothing else names one. */
export const DEFAULT_NAMESPACE = 'pigrid';

/** Per-call timeout when neither the options nor `PIGRID_K8S_TIMEOUT_MS` set one. */
export const DEFAULT_TIMEOUT_MS = 3000;

const MAX_TIMEOUT_MS = 600_000;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Where the cluster connection comes from. */
export type KubeConfigSource =
  /** KUBERNETES_SERVICE_HOST is set and the service-account token is mounted. */
  | { kind: 'in-cluster'; pathPrefix: string }
  /** KUBECONFIG names one or more files (path-list, first file's current-context wins). */
  | { kind: 'kubeconfig'; files: string[] }
  /** Neither: the local run. */
  | { kind: 'none' };

/** Environment variables the reader looks at. */
export type KubeEnv = Readonly<Record<string, string | undefined>>;

/**
 * Decides the cluster source: in-cluster when `KUBERNETES_SERVICE_HOST` is set and the token file
 * exists; else `KUBECONFIG` when set; else none.
 *
 * @param pathPrefix prepended to {@link SERVICE_ACCOUNT_DIR} (client-node's `loadFromCluster`
 *   convention); tests point it at a temp dir.
 */
export function detectKubeConfigSource(
  env: KubeEnv,
  fileExists: (path: string) => boolean,
  pathPrefix = '',
): KubeConfigSource {
  if (env.KUBERNETES_SERVICE_HOST && fileExists(`${pathPrefix}${SERVICE_ACCOUNT_DIR}/token`)) {
    return { kind: 'in-cluster', pathPrefix };
  }
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f.length > 0);
  if (files.length > 0) return { kind: 'kubeconfig', files };
  return { kind: 'none' };
}

/** Thrown by {@link resolveKubeTuning} with every invalid setting named in one message. */
export class KubeSettingsError extends Error {
  override readonly name = 'KubeSettingsError';
  readonly code = 'K8S_SETTINGS_INVALID';

  constructor(readonly problems: readonly string[]) {
    super(`invalid Kubernetes reader settings: ${problems.join('; ')}`);
  }
}

/** Explicit settings; each wins over its environment variable. */
export interface KubeTuningInput {
  namespace?: string;
  timeoutMs?: number;
}

/** Settings resolved from options and environment, before a kubeconfig is consulted. */
export interface KubeTuning {
  /** From options or `PIGRID_K8S_NAMESPACE`; `undefined` lets the kubeconfig context decide. */
  readonly namespace: string | undefined;
  readonly timeoutMs: number;
}

/**
 * Validates namespace and timeout from options, then `PIGRID_K8S_NAMESPACE` /
 * `PIGRID_K8S_TIMEOUT_MS`. Throws one {@link KubeSettingsError} naming every problem.
 */
export function resolveKubeTuning(input: KubeTuningInput, env: KubeEnv): KubeTuning {
  const problems: string[] = [];
  const namespace = input.namespace ?? emptyToUndefined(env.PIGRID_K8S_NAMESPACE);
  if (namespace !== undefined && !isNamespace(namespace)) {
    const field = input.namespace !== undefined ? 'namespace' : 'PIGRID_K8S_NAMESPACE';
    problems.push(`${field} must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63), got "${namespace}"`);
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (input.timeoutMs !== undefined) {
    timeoutMs = input.timeoutMs;
  } else if (emptyToUndefined(env.PIGRID_K8S_TIMEOUT_MS) !== undefined) {
    timeoutMs = /^\d+$/.test(env.PIGRID_K8S_TIMEOUT_MS!.trim()) ? Number(env.PIGRID_K8S_TIMEOUT_MS) : Number.NaN;
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    const field = input.timeoutMs !== undefined ? 'timeoutMs' : 'PIGRID_K8S_TIMEOUT_MS';
    const shown = input.timeoutMs !== undefined ? String(input.timeoutMs) : `"${env.PIGRID_K8S_TIMEOUT_MS}"`;
    problems.push(`${field} must be an integer number of milliseconds in 1..${MAX_TIMEOUT_MS}, got ${shown}`);
  }
  if (problems.length > 0) throw new KubeSettingsError(problems);
  return Object.freeze({ namespace, timeoutMs });
}

/**
 * The namespace to read: the explicit one, else the kubeconfig context's (for in-cluster configs
 * client-node fills it from the service-account `namespace` file), else {@link DEFAULT_NAMESPACE}.
 */
export function pickNamespace(explicit: string | undefined, contextNamespace: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const fromContext = contextNamespace?.trim();
  return fromContext && isNamespace(fromContext) ? fromContext : DEFAULT_NAMESPACE;
}

function isNamespace(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
