/**
 * Lease tokens that live in memory: the id is a counter and the claim is remembered. Unit tests and the
 * property-based tests use it; the coordinator uses HMAC-signed tokens (coordinator/store/hmac-lease-tokens.ts),
 * which survive a restart and need no table.
 */
import type { LeaseClaim, LeaseTokens } from './scheduler-types.js';

/**
 * The claim as JSON: `JSON.stringify([calculationId, chunkIndex, seed, points, workerId, instanceId])`, byte for byte
 * (lease MACs are computed over it, so ids minted by earlier versions still verify); a span's claim (chunkCount
 * other than 1) appends its count as a seventh element, so a claim of one chunk reads exactly as before spans. Built by hand: stringifying
 * the array cost ~1 µs per lease, a third of the MAC; a string that JSON would escape, or a field that is not what
 * its type says, goes through JSON.stringify.
 */
export function claimKey(c: LeaseClaim): string {
  const count = c.chunkCount === undefined || c.chunkCount === 1 ? '' : `,${jsonNumber(c.chunkCount)}`;
  return `[${jsonString(c.calculationId)},${jsonNumber(c.chunkIndex)},${jsonNumber(c.seed)},${jsonNumber(c.points)},${jsonString(c.workerId)},${jsonString(c.instanceId)}${count}]`;
}

/** JSON of a string that needs no escape (no quote, backslash, control character or surrogate): the string quoted. */
function jsonString(s: string): string {
  if (typeof s !== 'string') return jsonElement(s);
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x20 || ch === 0x22 || ch === 0x5c || (ch >= 0xd800 && ch <= 0xdfff)) return jsonElement(s);
  }
  return `"${s}"`;
}

/** JSON of a finite number is its string form; anything else (NaN, a string from a hostile decode) as JSON says. */
function jsonNumber(n: number): string {
  return typeof n === 'number' && Number.isFinite(n) ? `${n}` : jsonElement(n);
}

/** JSON of a value as an array element (where undefined reads `null`), as JSON.stringify writes it. */
function jsonElement(v: unknown): string {
  return JSON.stringify([v]).slice(1, -1);
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
