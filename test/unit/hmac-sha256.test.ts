/**
 * The JavaScript HMAC-SHA256 of coordinator/hmac-sha256.ts gives the same bytes as Node's createHmac: random keys up
 * to a block, messages of every length across the padding boundaries, ASCII and any Unicode text.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256 } from '../../coordinator/hmac-sha256.js';

const reference = (key: Uint8Array, message: string, bytes: number) =>
  createHmac('sha256', key).update(message).digest().subarray(0, bytes);

describe('hmacSha256', () => {
  it('equals createHmac for random keys, messages and truncations', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 })),
        fc.integer({ min: 1, max: 32 }),
        (key, message, bytes) => {
          expect(hmacSha256(key, bytes)(message)).toEqual(reference(key, message, bytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('equals createHmac at every message length around the block and padding boundaries, on one reused MAC', () => {
    const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
    const mac = hmacSha256(key, 32);
    for (let n = 0; n <= 260; n++) {
      const message = 'x'.repeat(n);
      expect(mac(message)).toEqual(reference(key, message, 32));
      // A longer non-ASCII message in between grows the buffer; the next ASCII one must not see its bytes.
      expect(mac(`é€${message}😀`)).toEqual(reference(key, `é€${message}😀`, 32));
    }
  });

  it('refuses keys longer than a block and truncations outside 1–32 bytes', () => {
    expect(() => hmacSha256(new Uint8Array(65), 16)).toThrow(RangeError);
    expect(() => hmacSha256(new Uint8Array(32), 0)).toThrow(RangeError);
    expect(() => hmacSha256(new Uint8Array(32), 33)).toThrow(RangeError);
  });
});
