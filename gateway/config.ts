/**
 * Gateway settings from the environment (documented in the README).
 */
import { readAuthSettings, type AuthSettings } from '../shared/api-tokens.js';
import { readTlsSettings, type TlsSettings } from '../shared/tls.js';
import { readGatewayLimits, type GatewayLimits } from './limits.js';
import { DEFAULT_HOST, DEFAULT_PORTS, EnvReader } from '../shared/config.js';
import type { LogSettings } from '../shared/logger.js';
import { checkNamespace, DEFAULT_TIMEOUT_MS as K8S_DEFAULT_TIMEOUT_MS } from './k8s/kube-settings.js';

export interface GatewayConfig {
  /** Bind address. @default 127.0.0.1 */
  readonly host: string;
  /** HTTP port (REST, /metrics, /healthz, /readyz). @default 8080 */
  readonly httpPort: number;
  /** Coordinator gRPC address. @default 127.0.0.1:50051 */
  readonly coordinator: string;
  /** Deadline of each call to the coordinator. @default 5000 ms */
  readonly coordinatorTimeoutMs: number;
  /** Mutual TLS to the coordinator, or plaintext with PIGRID_INSECURE=true (shared/tls.ts). */
  readonly tls: TlsSettings;
  /** API tokens and read policy (shared/api-tokens.ts). */
  readonly auth: AuthSettings;
  /** Rate limit and event-stream caps (gateway/limits.ts). */
  readonly limits: GatewayLimits;
  /** Namespace the Kubernetes endpoints read. @default the kubeconfig context's (in a pod: its own), else "pigrid" */
  readonly k8sNamespace: string | undefined;
  /** Deadline of each Kubernetes API call. @default 3000 ms */
  readonly k8sTimeoutMs: number;
  /** PIGRID_LOG_LEVEL (@default info) and PIGRID_LOG_FORMAT (@default json). */
  readonly log: LogSettings;
  /** A log line per request answered (gateway/request-log.ts). @default true */
  readonly logRequests: boolean;
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const r = new EnvReader(env);
  return r.done('gateway', {
    host: r.string('PIGRID_HOST', DEFAULT_HOST),
    httpPort: r.port('PIGRID_HTTP_PORT', DEFAULT_PORTS.gatewayHttp),
    coordinator: r.string('PIGRID_COORDINATOR', `${DEFAULT_HOST}:${DEFAULT_PORTS.coordinatorGrpc}`),
    coordinatorTimeoutMs: r.int('PIGRID_COORDINATOR_TIMEOUT_MS', 5_000, 100, 600_000),
    tls: readTlsSettings(r),
    auth: readAuthSettings(r),
    limits: readGatewayLimits(r),
    k8sNamespace: r.parsed<string | undefined>('PIGRID_K8S_NAMESPACE', undefined, checkNamespace),
    k8sTimeoutMs: r.int('PIGRID_K8S_TIMEOUT_MS', K8S_DEFAULT_TIMEOUT_MS, 1, 600_000),
    log: r.logSettings(),
    logRequests: r.oneOf('PIGRID_LOG_REQUESTS', 'true', ['true', 'false']) === 'true',
  });
}
