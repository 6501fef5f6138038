/**
 * The coordinator's links to its workers: one WorkerLink per discovered address. New addresses are dialled, vanished
 * ones are retired (no new leases, stream closed when their in-flight leases end).
 */
import type { Logger } from '../../shared/logger.js';
import type { CoordinatorService } from '../coordinator-service.js';
import { WorkerLink, type LinkSecurity } from './worker-link.js';

export class WorkerLinks {
  private readonly coordinator: CoordinatorService;
  private readonly log: Logger;
  private readonly links = new Map<string, WorkerLink>();
  private readonly retiring = new Set<WorkerLink>();
  private closed = false;
  private readonly security: LinkSecurity;

  constructor(coordinator: CoordinatorService, log: Logger, security: LinkSecurity) {
    this.coordinator = coordinator;
    this.log = log;
    this.security = security;
  }

  /** Reconciles the links with the full current set of addresses. */
  update(addresses: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(addresses);
    for (const address of wanted) {
      if (this.links.has(address)) continue;
      this.log.info({ address }, 'worker address discovered');
      this.links.set(address, new WorkerLink(address, this.coordinator, this.log, this.security));
    }
    for (const [address, link] of this.links) {
      if (wanted.has(address)) continue;
      this.log.info({ address }, 'worker address gone: retiring');
      this.links.delete(address);
      this.retiring.add(link);
      void link.retire().finally(() => this.retiring.delete(link));
    }
  }

  /** Closes every stream now, retiring ones included (their leases go back to the queue). Idempotent. */
  close(): void {
    this.closed = true;
    for (const link of [...this.links.values(), ...this.retiring]) link.shutdown();
    this.links.clear();
    this.retiring.clear();
  }
}
