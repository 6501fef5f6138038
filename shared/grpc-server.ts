/**
 * Builds a gRPC server the pigrid way: server reflection and grpc.health.v1 (overall "" and "readiness") on every
 * server, keepalive settings that detect a dead peer within seconds, and a bind on the configured address.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { reflectionService } from './reflection.js';

/** Name of the health service that reports readiness (NOT_SERVING while starting or draining). */
export const READINESS_SERVICE = 'readiness';

/**
 * Keepalive for every channel and server. The coordinator pings each worker every 5 s and drops a stream whose peer
 * has not answered within 5 s, so a silently vanished worker is detected in about 10 s even with no lease traffic.
 * grpc-js servers do not enforce a minimum ping interval (no too_many_pings GOAWAY); servers of other gRPC
 * implementations would need GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS <= 5 s.
 */
export const KEEPALIVE_OPTIONS: grpc.ChannelOptions = Object.freeze({
  'grpc.keepalive_time_ms': 5_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.max_pings_without_data': 0,
});

export interface PigridServer {
  readonly server: grpc.Server;
  readonly health: HealthImplementation;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** The plaintext health-only port, when one was asked for. */
  readonly healthPort: number | undefined;
  setReady(ready: boolean): void;
  /** Graceful shutdown with a deadline, then forced. Idempotent. */
  close(graceMs: number): Promise<void>;
}

export async function startGrpcServer(opts: {
  host: string;
  port: number;
  /** Which contract file this server serves (for reflection). */
  service: 'calculations' | 'worker';
  register: (server: grpc.Server) => void;
  keepalive?: grpc.ChannelOptions;
  /** TLS (shared/tls.ts serverCredentials) or plaintext. @default plaintext */
  credentials?: grpc.ServerCredentials;
  /** Run before every handler: authentication and authorization (shared/grpc-auth.ts). */
  interceptors?: grpc.ServerInterceptor[];
  /**
   * A second, plaintext port that serves grpc.health.v1 only (the kubelet's gRPC probes cannot speak TLS); -1 or
   * undefined: none.
   */
  healthPort?: number;
}): Promise<PigridServer> {
  const server = new grpc.Server({ ...KEEPALIVE_OPTIONS, ...opts.keepalive, interceptors: opts.interceptors ?? [] });
  opts.register(server);
  const health = new HealthImplementation({ '': 'SERVING', [READINESS_SERVICE]: 'NOT_SERVING' });
  health.addToServer(server);
  reflectionService(opts.service).addToServer(server);
  const bindHost = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  const bind = (s: grpc.Server, port: number, creds: grpc.ServerCredentials) =>
    new Promise<number>((resolve, reject) => {
      s.bindAsync(`${bindHost}:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p)));
    });
  const port = await bind(server, opts.port, opts.credentials ?? grpc.ServerCredentials.createInsecure());
  let healthServer: grpc.Server | undefined;
  let healthPort: number | undefined;
  if (opts.healthPort !== undefined && opts.healthPort >= 0) {
    healthServer = new grpc.Server();
    health.addToServer(healthServer);
    healthPort = await bind(healthServer, opts.healthPort, grpc.ServerCredentials.createInsecure());
  }
  let closing: Promise<void> | undefined;
  return {
    server,
    health,
    port,
    healthPort,
    setReady(ready) {
      health.setStatus(READINESS_SERVICE, ready ? 'SERVING' : 'NOT_SERVING');
    },
    close(graceMs) {
      closing ??= new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        health.setStatus(READINESS_SERVICE, 'NOT_SERVING');
        healthServer?.forceShutdown();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
