/**
 * HMAC lease tokens (coordinator/lease-tokens.ts): an id vouches for exactly its claim, under its key only, and ids
 * stay unique across refills of the nonce buffer.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHmacLeaseTokens } from '../../coordinator/lease-tokens.js';
import { claimKey } from '../../coordinator/core/memory-lease-tokens.js';
import type { LeaseClaim } from '../../coordinator/core/scheduler-types.js';

const claim: LeaseClaim = { calculationId: 'c1', chunkIndex: 7, seed: 42, points: 1000, workerId: 'w1', instanceId: 'i1' };

/** The id's mac is HMAC-SHA256(key, nonce + "\n" + claim) truncated to 128 bits, computed by node:crypto. */
function expectMacOf(id: string, key: Uint8Array, c: LeaseClaim): void {
  const [nonce, mac] = id.split('.');
  const expected = createHmac('sha256', key)
    .update(`${nonce}\n${claimKey(c)}`)
    .digest()
    .subarray(0, 16);
  expect(Buffer.from(mac, 'base64url')).toEqual(expected);
}

describe('HMAC lease tokens', () => {
  it('verifies an id for its own claim and for no other field value', () => {
    const tokens = createHmacLeaseTokens(randomBytes(32));
    const id = tokens.mint(claim);
    expect(tokens.verify(id, { ...claim })).toBe(true);
    for (const changed of [
      { calculationId: 'c2' },
      { chunkIndex: 8 },
      { seed: 43 },
      { points: 999 },
      { workerId: 'w2' },
      { instanceId: 'i2' },
    ])
      expect(tokens.verify(id, { ...claim, ...changed })).toBe(false);
  });

  it('a span claim vouches for its chunk count; a claim of one chunk is the same with or without chunkCount', () => {
    const key = randomBytes(32);
    const tokens = createHmacLeaseTokens(key);
    // chunkCount 1 writes exactly the six-element claim of earlier versions: ids minted before spans still verify.
    expect(claimKey({ ...claim, chunkCount: 1 })).toBe(claimKey(claim));
    expect(claimKey({ ...claim, chunkCount: 50 })).toBe(JSON.stringify(['c1', 7, 42, 1000, 'w1', 'i1', 50]));
    const single = tokens.mint(claim);
    expect(tokens.verify(single, { ...claim, chunkCount: 1 })).toBe(true);
    expect(tokens.verify(single, { ...claim, chunkCount: 2 })).toBe(false);
    const span = tokens.mint({ ...claim, chunkCount: 50 });
    expectMacOf(span, key, { ...claim, chunkCount: 50 });
    expect(tokens.verify(span, { ...claim, chunkCount: 50 })).toBe(true);
    for (const count of [undefined, 1, 49, 51, 0]) expect(tokens.verify(span, { ...claim, chunkCount: count })).toBe(false);
    // The string path (a field JSON escapes) agrees with the byte path.
    const odd = { ...claim, workerId: 'w"1', chunkCount: 3 };
    const oddId = tokens.mint(odd);
    expectMacOf(oddId, key, odd);
    expect(tokens.verify(oddId, { ...odd, chunkCount: 4 })).toBe(false);
  });

  it('refuses ids minted under another key, and malformed ids', () => {
    const tokens = createHmacLeaseTokens(randomBytes(32));
    const other = createHmacLeaseTokens(randomBytes(32));
    const id = tokens.mint(claim);
    expect(other.verify(id, claim)).toBe(false);
    const [nonce, mac] = id.split('.');
    for (const bad of ['', '.', nonce, `${nonce}.`, `.${mac}`, `${nonce}x.${mac}`, `${nonce}.${mac}x`, `${id}${'A'.repeat(64)}`])
      expect(tokens.verify(bad, claim)).toBe(false);
  });

  it('a restarted coordinator with the same key recognises earlier ids', () => {
    const key = randomBytes(32);
    const id = createHmacLeaseTokens(key).mint(claim);
    expect(createHmacLeaseTokens(key).verify(id, claim)).toBe(true);
  });

  it('the mac is HMAC-SHA256(key, nonce + "\\n" + claim) truncated to 128 bits, as ids minted by earlier versions', () => {
    const key = randomBytes(32);
    const id = createHmacLeaseTokens(key).mint(claim);
    expectMacOf(id, key, claim);
  });

  it('mints distinct ids for the same claim across many nonce-buffer refills', () => {
    const tokens = createHmacLeaseTokens(randomBytes(32));
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) ids.add(tokens.mint(claim));
    expect(ids.size).toBe(5000);
    for (const id of [...ids].slice(-600)) expect(tokens.verify(id, claim)).toBe(true);
  });

  it('builds the claim exactly as JSON.stringify of its fields, whatever they hold', () => {
    // Every UTF-16 code unit, lone surrogates included (JSON escapes those, and quotes, backslashes and controls).
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit }), fc.uuid());
    const number = fc.oneof(fc.integer(), fc.double(), fc.constant(-0));
    // A hostile or broken decode could hand over anything: the key must still be JSON's.
    const anything = fc.oneof(text, number, fc.constant(undefined), fc.constant(null), fc.boolean());
    fc.assert(
      fc.property(fc.tuple(fc.oneof(text, anything), fc.oneof(number, anything), number, number, text, fc.oneof(text, anything)), (f) => {
        const c = { calculationId: f[0], chunkIndex: f[1], seed: f[2], points: f[3], workerId: f[4], instanceId: f[5] } as LeaseClaim;
        expect(claimKey(c)).toBe(JSON.stringify(f));
      }),
      { numRuns: 2000 },
    );
  });

  it('macs exactly HMAC-SHA256(key, nonce + "\\n" + claim) for any claim, plain ASCII or not', () => {
    const key = randomBytes(32);
    const tokens = createHmacLeaseTokens(key);
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
    const printable = fc.integer({ min: 0x1f, max: 0x80 }).map((u) => String.fromCharCode(u));
    const text = fc.oneof(fc.uuid(), fc.string({ unit: printable, maxLength: 120 }), fc.string({ unit: codeUnit, maxLength: 40 }));
    const number = fc.oneof(fc.nat(), fc.maxSafeNat(), fc.integer(), fc.double(), fc.constant(-0), fc.constant(2 ** 53));
    fc.assert(
      fc.property(text, number, number, number, text, text, (calculationId, chunkIndex, seed, points, workerId, instanceId) => {
        const c: LeaseClaim = { calculationId, chunkIndex, seed, points, workerId, instanceId };
        const id = tokens.mint(c);
        expectMacOf(id, key, c);
        expect(tokens.verify(id, c)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
