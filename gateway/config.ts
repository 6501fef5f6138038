/**
 * Gateway settings from the environment (documented in the README).
 */
import { readAuthSettings, type AuthSettings } from '../shared/api-tokens.js';
import { EnvReader } from '../shared/config.js';
import { readTlsSettings, type TlsSettings } from '../shared/tls.js';
import { readGatewayLimits, type GatewayLimits } from './limits.js';

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
}

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const r = new EnvReader(env);
  return r.done('gateway', {
    host: r.string('PIGRID_HOST', '127.0.0.1'),
    httpPort: r.port('PIGRID_HTTP_PORT', 8080),
    coordinator: r.string('PIGRID_COORDINATOR', '127.0.0.1:50051'),
    coordinatorTimeoutMs: r.int('PIGRID_COORDINATOR_TIMEOUT_MS', 5_000, 100, 600_000),
    tls: readTlsSettings(r),
    auth: readAuthSettings(r),
    limits: readGatewayLimits(r),
  });
}
