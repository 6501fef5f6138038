/**
 * Keeps one WorkerLink per discovered address: new addresses are dialled, vanished ones are retired (no new leases,
 * stream closed when their in-flight leases end).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../shared/logger.js';
import type { Engine } from '../engine.js';
import { WorkerLink } from './worker-link.js';

export class WorkerPool {
  private readonly engine: Engine;
  private readonly log: Logger;
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly links = new Map<string, WorkerLink>();
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;

  constructor(engine: Engine, log: Logger, channelOptions: grpc.ChannelOptions = {}) {
    this.engine = engine;
    this.log = log;
    this.channelOptions = channelOptions;
  }

  /** Reconciles the links with the full current set of addresses. */
  update(addresses: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(addresses);
    for (const address of wanted) {
      if (this.links.has(address)) continue;
      this.log.info('worker address discovered', { address });
      this.links.set(address, new WorkerLink(address, this.engine, this.log, this.channelOptions));
    }
    for (const [address, link] of this.links) {
      if (wanted.has(address)) continue;
      this.log.info('worker address gone: retiring', { address });
      this.links.delete(address);
      const p = link.retire().finally(() => this.retiring.delete(p));
      this.retiring.add(p);
    }
  }

  addresses(): string[] {
    return [...this.links.keys()];
  }

  /** Closes every stream now (their leases go back to the queue). Idempotent. */
  close(): void {
    this.closed = true;
    for (const link of this.links.values()) link.shutdown();
    this.links.clear();
  }
}
