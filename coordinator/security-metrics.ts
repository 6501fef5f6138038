/**
 * Counters of refused peers: workers whose certificate or hello did not pass, and gRPC calls the auth interceptor
 * refused. Alerts can fire on either (a stranger in the workers' Service, a client with a wrong token).
 */
import { Counter, type Registry } from 'prom-client';
import type { WorkerAuthFailure } from './rpc/worker-identity.js';

export interface SecurityMetrics {
  readonly workerAuthFailures: Counter<'reason'>;
  readonly callsRefused: Counter<'code'>;
}

export function createSecurityMetrics(registry: Registry): SecurityMetrics {
  const workerAuthFailures = new Counter({
    name: 'pigrid_worker_auth_failures_total',
    help: 'Work streams refused: TLS handshake failed (tls), certificate of another role (not_a_worker), hello naming another worker than the certificate (identity_mismatch).',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of ['tls', 'not_a_worker', 'identity_mismatch'] satisfies WorkerAuthFailure[]) workerAuthFailures.inc({ reason }, 0);
  const callsRefused = new Counter({
    name: 'pigrid_grpc_calls_refused_total',
    help: 'Calculations calls refused before any handler ran, by code (UNAUTHENTICATED, FORBIDDEN).',
    labelNames: ['code'],
    registers: [registry],
  });
  for (const code of ['UNAUTHENTICATED', 'FORBIDDEN']) callsRefused.inc({ code }, 0);
  return { workerAuthFailures, callsRefused };
}
