/**
 * Where the gateway's Kubernetes reader gets its cluster and namespace from, and the namespace rule the gateway's
 * config checks `PIGRID_K8S_NAMESPACE` with. Pure apart from the injected `fileExists`, so each rule is unit-testable.
 */
import { delimiter } from 'node:path';
import type { Problem } from '../../shared/config.js';

/** Default Kubernetes service-account mount, as client-node's `loadFromCluster()` reads it. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Label every pigrid object carries; the reader lists pods and pod metrics with it. */
export const PIGRID_LABEL_SELECTOR = 'app.kubernetes.io/part-of=pigrid';

/** Label that names a pod's role: coordinator, worker or gateway. */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** Namespace used when nothing else names one. */
export const DEFAULT_NAMESPACE = 'pigrid';

/** Per-call timeout of the Kubernetes API (`PIGRID_K8S_TIMEOUT_MS`). */
export const DEFAULT_TIMEOUT_MS = 3000;

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
export function detectKubeConfigSource(env: KubeEnv, fileExists: (path: string) => boolean, pathPrefix = ''): KubeConfigSource {
  if (env.KUBERNETES_SERVICE_HOST && fileExists(`${pathPrefix}${SERVICE_ACCOUNT_DIR}/token`)) {
    return { kind: 'in-cluster', pathPrefix };
  }
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f.length > 0);
  if (files.length > 0) return { kind: 'kubeconfig', files };
  return { kind: 'none' };
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

/** A namespace name: a DNS-1123 label. */
export function checkNamespace(value: string): string | Problem {
  return isNamespace(value) ? value : { problem: "must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63)" };
}
