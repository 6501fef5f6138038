/**
 * Lease tokens that live in memory: the id is a counter and the claim is remembered. Unit tests and the
 * property-based tests use it; the coordinator uses HMAC-signed tokens (coordinator/store/hmac-lease-tokens.ts),
 * which survive a restart and need no table.
 */
import type { LeaseClaim, LeaseTokens } from './scheduler-types.js';

export function claimKey(c: LeaseClaim): string {
  return JSON.stringify([c.calculationId, c.chunkIndex, c.seed, c.points, c.workerId, c.instanceId]);
}

export class MemoryLeaseTokens implements LeaseTokens {
  private next = 0;
  private readonly claims = new Map<string, string>();
  private readonly prefix: string;

  constructor(prefix = 'L') {
    this.prefix = prefix;
  }

  mint(claim: LeaseClaim): string {
    const id = `${this.prefix}${++this.next}`;
    this.claims.set(id, claimKey(claim));
    return id;
  }

  verify(leaseId: string, claim: LeaseClaim): boolean {
    return this.claims.get(leaseId) === claimKey(claim);
  }
}
