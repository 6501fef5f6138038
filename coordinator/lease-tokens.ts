/**
 * Lease ids as capabilities: `<nonce>.<mac>`, where mac = HMAC-SHA256(key, nonce + claim) truncated to 128 bits and
 * the claim is (calculation, chunk, seed, points, worker id, instance id). The key is made once and kept in the
 * database, so a restarted coordinator recognises every lease it granted before (a worker's outbox is adopted) and
 * no worker can make one up or reuse one for another chunk. No lease table is written: a grant costs no I/O.
 */
import { randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { claimKey } from './core/memory-lease-tokens.js';
import { hmacSha256Into } from './hmac-sha256.js';
import type { LeaseClaim, LeaseTokens } from './core/scheduler-types.js';
import type { CalculationStore } from './core/store-port.js';

const MAC_BYTES = 16;
const NONCE_BYTES = 9;
/** Nonces drawn per call into the CSPRNG: one 9-byte `randomBytes` per lease cost ~5 µs, more than the MAC. */
const NONCES_PER_FILL = 512;

/** Random nonces, `NONCE_BYTES` at a time from a buffer refilled every `NONCES_PER_FILL` leases. */
function nonceSource(): () => string {
  const pool = Buffer.alloc(NONCE_BYTES * NONCES_PER_FILL);
  let at = pool.length;
  return () => {
    if (at === pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    const nonce = pool.toString('base64url', at, at + NONCE_BYTES);
    at += NONCE_BYTES;
    return nonce;
  };
}

export function createHmacLeaseTokens(key: Uint8Array): LeaseTokens {
  if (key.length < 32) throw new RangeError('the lease key must have at least 32 bytes');
  // The same HMAC as createHmac('sha256', key), with the key's pad blocks compressed once: ~2 µs per lease
  // instead of ~5–7 µs (coordinator/hmac-sha256.ts). Written into one buffer: no Buffer per lease.
  const hmacInto = hmacSha256Into(key, MAC_BYTES);
  const macOut = Buffer.alloc(MAC_BYTES);
  const mac = (nonce: string, claim: LeaseClaim) => {
    hmacInto(`${nonce}\n${claimKey(claim)}`, macOut, 0);
    return macOut;
  };
  const nextNonce = nonceSource();
  return {
    mint(claim) {
      const nonce = nextNonce();
      return `${nonce}.${mac(nonce, claim).toString('base64url')}`;
    },
    verify(leaseId, claim) {
      if (leaseId.length > 64) return false;
      const dot = leaseId.indexOf('.');
      if (dot <= 0) return false;
      const given = Buffer.from(leaseId.slice(dot + 1), 'base64url');
      return given.length === MAC_BYTES && timingSafeEqual(given, mac(leaseId.slice(0, dot), claim));
    },
  };
}

/** The coordinator's tokens, keyed by the secret kept in its store. */
export function leaseTokensFor(store: CalculationStore): LeaseTokens {
  return createHmacLeaseTokens(store.secret('lease-hmac-key', () => randomBytes(32)));
}
