/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) of short messages under one fixed key, in plain JavaScript: the same bytes as
 * `createHmac('sha256', key)`, for the price of the compressions alone. Node's `createHmac` costs ~5–7 µs per call on
 * this machine (a KeyObject, a Hash object and four calls into C++ per lease), while the MAC of a lease claim needs
 * three SHA-256 compressions: the key's inner and outer pad blocks are compressed once, when the key is set
 * (RFC 2104 §4 suggests exactly this precomputation), and each message then costs its own blocks plus one outer
 * block. test/unit/hmac-sha256.test.ts compares it with `createHmac` on random keys and messages.
 * Why not a library: `@noble/hashes` (the maintained pure-JS implementation) keeps the same precomputed state but
 * clones it per message and measured 11–13 µs per MAC here, slower than `createHmac`; composing HMAC from two
 * one-shot `crypto.hash` calls saved ~10 % at best.
 *
 * Nothing here branches on or indexes by the key or a message: the round constants are read by round number only.
 */

const ROUND_CONSTANTS = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL_STATE = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;
const DIGEST = 32;

/** The message schedule, shared by every compression (JavaScript runs one at a time). */
const schedule = new Int32Array(64);

/** One SHA-256 compression of the 64-byte block at `block[at…]` into `state`. */
function compress(state: Int32Array, block: Uint8Array, at: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const j = at + 4 * i;
    w[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + ROUND_CONSTANTS[i] + w[i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/** Writes the first `bytes` bytes of `state` (big-endian words) into `out` at `at`. */
function writeState(state: Int32Array, bytes: number, out: Uint8Array, at: number): void {
  for (let i = 0; i < bytes; i++) out[at + i] = state[i >> 2] >>> (24 - 8 * (i & 3));
}

/**
 * Pads `length` message bytes already in `buf` (after one block already compressed, the key pad) as SHA-256 does:
 * 0x80, zeros, then the bit length of everything hashed. Returns the end of the last block.
 */
function pad(buf: Uint8Array, length: number): number {
  let end = length;
  buf[end++] = 0x80;
  while (end % BLOCK !== BLOCK - 8) buf[end++] = 0;
  const bits = (BLOCK + length) * 8;
  const high = Math.floor(bits / 2 ** 32);
  buf[end++] = 0;
  buf[end++] = 0;
  buf[end++] = 0;
  buf[end++] = high;
  buf[end++] = bits >>> 24;
  buf[end++] = bits >>> 16;
  buf[end++] = bits >>> 8;
  buf[end++] = bits;
  return end;
}

/** The state after compressing the key (zero-padded to a block) XOR `fill`: the inner or outer pad. */
function padState(key: Uint8Array, fill: number): Int32Array {
  const block = new Uint8Array(BLOCK).fill(fill);
  for (let i = 0; i < key.length; i++) block[i] ^= key[i];
  const state = INITIAL_STATE.slice();
  compress(state, block, 0);
  return state;
}

/**
 * A MAC function for `key` (at most 64 bytes): `mac(message)` is HMAC-SHA256(key, UTF-8 of message), truncated to
 * `bytes` (1–32), as a new Buffer.
 */
export function hmacSha256(key: Uint8Array, bytes: number): (message: string) => Buffer {
  const into = hmacSha256Into(key, bytes);
  return (message) => {
    const out = Buffer.allocUnsafe(bytes);
    into(message, out, 0);
    return out;
  };
}

/** Bytes an input buffer of {@link hmacSha256OfBytes} needs beyond its message: the padding is written in place. */
export const HMAC_INPUT_SLACK = BLOCK + 8;

/**
 * The same MAC written into `out` at `at` (`bytes` bytes): no allocation, for the lease minting path (a Buffer per
 * MAC, and its subarray, cost about as much as a compression).
 */
export function hmacSha256Into(key: Uint8Array, bytes: number): (message: string, out: Uint8Array, at: number) => void {
  const ofBytes = hmacSha256OfBytes(key, bytes);
  let buf = new Uint8Array(4 * BLOCK);
  return (message, out, at) => {
    // UTF-8 of the message; an ASCII one (every lease claim in practice) is copied byte for byte.
    let length = message.length;
    if (buf.length < 3 * length + HMAC_INPUT_SLACK) buf = new Uint8Array(3 * length + HMAC_INPUT_SLACK);
    let ascii = true;
    for (let i = 0; i < length; i++) {
      const ch = message.charCodeAt(i);
      if (ch > 0x7f) {
        ascii = false;
        break;
      }
      buf[i] = ch;
    }
    if (!ascii) length = Buffer.from(buf.buffer, buf.byteOffset, buf.length).write(message, 0, 'utf8');
    ofBytes(buf, length, out, at);
  };
}

/**
 * The MAC of the message already in `input[0, length)`, written into `out` at `at`: for a caller that writes its
 * message as bytes (no string built, flattened and copied). `input` must hold {@link HMAC_INPUT_SLACK} bytes beyond
 * the message; they are overwritten.
 */
export function hmacSha256OfBytes(
  key: Uint8Array,
  bytes: number,
): (input: Uint8Array, length: number, out: Uint8Array, at: number) => void {
  if (key.length > BLOCK) throw new RangeError('an HMAC-SHA256 key longer than 64 bytes is hashed first; not supported here');
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > DIGEST) throw new RangeError('the MAC is 1 to 32 bytes');
  const inner = padState(key, 0x36);
  const outer = padState(key, 0x5c);
  const state = new Int32Array(8);
  const outerBlock = new Uint8Array(BLOCK);
  pad(outerBlock, DIGEST);
  return (input, length, out, at) => {
    if (input.length < length + HMAC_INPUT_SLACK) throw new RangeError('no room for the padding after the message');
    const end = pad(input, length);
    state.set(inner);
    for (let i = 0; i < end; i += BLOCK) compress(state, input, i);
    writeState(state, DIGEST, outerBlock, 0);
    state.set(outer);
    compress(state, outerBlock, 0);
    writeState(state, bytes, out, at);
  };
}
