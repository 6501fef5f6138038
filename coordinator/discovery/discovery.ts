/**
 * The port through which the coordinator learns where workers are. Adapters: a static list for local
 * runs ({@link ./static-discovery.js}) and a DNS watcher of a Kubernetes headless Service
 * ({@link ./dns-discovery.js}). Identity of a worker comes from its gRPC hello, not from here.
 */

/** One dialable worker. */
export interface WorkerEndpoint {
  /** `"host:port"`; IPv6 bracketed, as `"[::1]:50061"`. */
  readonly address: string;
}

/** Watches the set of worker addresses. */
export interface WorkerDiscovery {
  /**
   * Starts watching; calls `onChange` with the FULL current set (sorted, de-duplicated, frozen) once
   * with the initial set and then whenever it changes. Calling it twice is a bug (throws INTERNAL); calling it
   * after `close()` does nothing.
   */
  start(onChange: (addresses: readonly string[]) => void): void;
  /** Idempotent. Stops timers and in-flight lookups; `onChange` is not called afterwards. */
  close(): void;
}

/** Lifecycle of a discovery instance. */
export type DiscoveryState = 'IDLE' | 'RUNNING' | 'CLOSED';
