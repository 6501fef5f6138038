/**
 * Lease ids as capabilities: `<nonce>.<mac>`, where mac = HMAC-SHA256(key, nonce + claim) truncated to 128 bits and
 * the claim is (calculation, chunk, seed, points, worker id, instance id[, chunk count of a span]). The key is made once and kept in the
 * database, so a restarted coordinator recognises every lease it granted before (a worker's outbox is adopted) and
 * no worker can make one up or reuse one for another chunk. No lease table is written: a grant costs no I/O.
 */
import { randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';
import { claimKey } from './core/memory-lease-tokens.js';
import { HMAC_INPUT_SLACK, hmacSha256Into, hmacSha256OfBytes } from './hmac-sha256.js';
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

/** The longest message {@link writePlainMessage} writes; a longer one goes through the string path. */
const MAX_PLAIN_MESSAGE = 256;

/**
 * Writes the MAC's message `${nonce}\n${claimKey(claim)}` as bytes into `buf` and returns its length, when every
 * text field is ASCII that JSON does not escape and every number a safe non-negative integer (every lease in
 * practice); else -1, and the caller builds the string. Building, flattening and copying that string cost ~1.5 µs
 * per lease, half the MAC. The same bytes as the string path (test/unit/lease-tokens.test.ts compares them).
 */
function writePlainMessage(buf: Uint8Array, nonce: string, c: LeaseClaim): number {
  let at = writePlainText(buf, 0, nonce);
  if (at < 0) return -1;
  buf[at++] = 0x0a; // \n
  buf[at++] = 0x5b; // [
  at = writePlainString(buf, at, c.calculationId);
  at = writePlainInteger(buf, at, c.chunkIndex);
  at = writePlainInteger(buf, at, c.seed);
  at = writePlainInteger(buf, at, c.points);
  at = writePlainString(buf, at, c.workerId);
  at = writePlainString(buf, at, c.instanceId);
  // A span's count is a seventh element; a claim of one chunk is written exactly as before spans.
  if (c.chunkCount !== undefined && c.chunkCount !== 1) at = writePlainInteger(buf, at, c.chunkCount);
  if (at < 0) return -1;
  buf[at - 1] = 0x5d; // the last field's comma becomes ]
  return at;
}

/** `s` byte for byte when it is ASCII without a quote, a backslash or a control character, else -1. */
function writePlainText(buf: Uint8Array, at: number, s: string): number {
  if (at < 0 || typeof s !== 'string' || at + s.length > MAX_PLAIN_MESSAGE - 2) return -1;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x20 || ch > 0x7f || ch === 0x22 || ch === 0x5c) return -1;
    buf[at++] = ch;
  }
  return at;
}

/** `"s",` when `s` is plain text (its JSON is itself quoted), else -1. */
function writePlainString(buf: Uint8Array, at: number, s: string): number {
  if (at < 0) return -1;
  buf[at] = 0x22;
  at = writePlainText(buf, at + 1, s);
  if (at < 0) return -1;
  buf[at++] = 0x22;
  buf[at++] = 0x2c;
  return at;
}

/** `n,` in decimal when `n` is a safe non-negative integer (its JSON is its digits), else -1. */
function writePlainInteger(buf: Uint8Array, at: number, n: number): number {
  if (at < 0 || !Number.isSafeInteger(n) || n < 0 || at + 17 > MAX_PLAIN_MESSAGE) return -1;
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let i = at + digits - 1, x = n; i >= at; i--, x = Math.floor(x / 10)) buf[i] = 0x30 + (x % 10);
  at += digits;
  buf[at++] = 0x2c;
  return at;
}

export function createHmacLeaseTokens(key: Uint8Array): LeaseTokens {
  if (key.length < 32) throw new RangeError('the lease key must have at least 32 bytes');
  // The same HMAC as createHmac('sha256', key), with the key's pad blocks compressed once: ~2 µs per lease
  // instead of ~5–7 µs (coordinator/hmac-sha256.ts). Written into one buffer: no Buffer per lease.
  const hmacInto = hmacSha256Into(key, MAC_BYTES);
  const hmacOfBytes = hmacSha256OfBytes(key, MAC_BYTES);
  const input = new Uint8Array(MAX_PLAIN_MESSAGE + HMAC_INPUT_SLACK);
  const macOut = Buffer.alloc(MAC_BYTES);
  const mac = (nonce: string, claim: LeaseClaim) => {
    const length = writePlainMessage(input, nonce, claim);
    if (length >= 0) hmacOfBytes(input, length, macOut, 0);
    else hmacInto(`${nonce}\n${claimKey(claim)}`, macOut, 0);
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
