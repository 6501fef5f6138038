/**
 * A hand-written codec for the messages of the Work stream that flow once per chunk: the Lease (or LeaseBatch) the
 * coordinator sends and the ChunkResult (or ResultBatch) it receives. proto-loader's dynamic codec builds and
 * converts intermediate protobufjs objects (fromObject, encode, decode, toObject, Long to string), which cost more per
 * chunk than the scheduling; these functions write and read the bytes directly. Every other message, and any lease or result the fast path is
 * not certain to treat exactly as proto-loader would (a negative or unsafe integer, an unknown field, a second
 * oneof member), goes through proto-loader unchanged.
 *
 * The output is byte-identical to proto-loader's (fields in number order, each one given written), and a
 * decoded result is the same object proto-loader would return (int64 as decimal strings, `kind` set, every field
 * present; the one exception is a ResultBatch too long to accept, see {@link WorkerMessageIn}):
 * test/unit/work-codec.test.ts compares both on random messages.
 */
import * as grpc from '@grpc/grpc-js';
import type { CoordinatorMessage } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { Lease } from '../../generated/proto/pigrid/v1/Lease.js';
import type { WorkerClient, WorkerDefinition } from '../../generated/proto/pigrid/v1/Worker.js';
import type { ChunkResult__Output } from '../../generated/proto/pigrid/v1/ChunkResult.js';
import type { WorkerMessage__Output } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { loadContract } from '../../shared/proto.js';
import { MAX_RESULT_BATCH } from '../../shared/wire.js';
import type { ResultReport } from '../core/scheduler-types.js';

type Serialize = (msg: CoordinatorMessage) => Buffer;
type Deserialize = (buf: Buffer) => WorkerMessage__Output;

/** Wire type 2 (length-delimited) tag of field `n`, and wire type 0 (varint). */
const LEN = (n: number) => (n << 3) | 2;
const VARINT = (n: number) => n << 3;

/** Fields 1 (lease) and 3 (leases) of CoordinatorMessage, fields 2 (result) and 6 (results) of WorkerMessage. */
const LEASE_TAG = LEN(1);
const LEASE_BATCH_TAG = LEN(3);
const RESULT_TAG = LEN(2);
const RESULT_BATCH_TAG = LEN(6);
/** Field 1 (one entry) of LeaseBatch and of ResultBatch. */
const ENTRY_TAG = LEN(1);

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(buf: Buffer, at: number, v: number): number {
  while (v >= 128) {
    buf[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return at;
}

/** An int64 field the fast path writes: a number that is a safe non-negative integer (or absent, i.e. zero). */
function plainInt(v: unknown): v is number | undefined {
  return v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
}

/** An int32 field the fast path writes: a non-negative integer below 2^31 (or absent). A negative one takes 10 bytes. */
function plainInt32(v: unknown): v is number | undefined {
  return v === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < INT32_LIMIT);
}

const INT32_LIMIT = 2 ** 31;

function fastLease(l: Lease): boolean {
  return (
    (l.leaseId === undefined || typeof l.leaseId === 'string') &&
    (l.calculationId === undefined || typeof l.calculationId === 'string') &&
    plainInt(l.chunkIndex) &&
    plainInt(l.seed) &&
    plainInt(l.points) &&
    plainInt(l.ttlMs) &&
    plainInt32(l.chunkCount)
  );
}

/**
 * Size of a Lease's fields (its body, without tag and length), or undefined for a string that is not ASCII. Like
 * protobufjs after fromObject, the body holds every field that is present, zero or empty included, and omits absent
 * ones.
 */
function leaseBodySize(l: Lease): number | undefined {
  const id = l.leaseId;
  const calc = l.calculationId;
  // ASCII only (lease ids are base64url, calculation ids ours): protobufjs writes short non-ASCII strings with its
  // own UTF-8 encoder, which may treat a lone surrogate differently from Buffer's.
  if ((id !== undefined && Buffer.byteLength(id) !== id.length) || (calc !== undefined && Buffer.byteLength(calc) !== calc.length))
    return undefined;
  let body = 0;
  if (id !== undefined) body += 1 + varintSize(id.length) + id.length;
  if (calc !== undefined) body += 1 + varintSize(calc.length) + calc.length;
  for (const v of [l.chunkIndex, l.seed, l.points, l.ttlMs, l.chunkCount] as (number | undefined)[])
    if (v !== undefined) body += 1 + varintSize(v);
  return body;
}

/** Writes a Lease's body (ASCII strings, checked by {@link leaseBodySize}) at `at`; returns the next offset. */
function writeLeaseBody(buf: Buffer, at: number, l: Lease): number {
  const id = l.leaseId;
  const calc = l.calculationId;
  if (id !== undefined) {
    buf[at++] = LEN(1);
    at = writeVarint(buf, at, id.length);
    at += buf.write(id, at, 'latin1');
  }
  if (calc !== undefined) {
    buf[at++] = LEN(2);
    at = writeVarint(buf, at, calc.length);
    at += buf.write(calc, at, 'latin1');
  }
  // Fields 3..7; chunk_count (7) is present only in a span's lease (the Work link leaves it out for one chunk).
  const ints = [l.chunkIndex, l.seed, l.points, l.ttlMs, l.chunkCount] as (number | undefined)[];
  for (let i = 0; i < ints.length; i++) {
    const v = ints[i];
    if (v === undefined) continue;
    buf[at++] = VARINT(3 + i);
    at = writeVarint(buf, at, v);
  }
  return at;
}

/** The encoded Lease, wrapped as CoordinatorMessage field 1; undefined for a string that is not ASCII. */
function encodeLease(l: Lease): Buffer | undefined {
  const body = leaseBodySize(l);
  if (body === undefined) return undefined;
  const buf = Buffer.allocUnsafe(1 + varintSize(body) + body);
  buf[0] = LEASE_TAG;
  writeLeaseBody(buf, writeVarint(buf, 1, body), l);
  return buf;
}

/**
 * The encoded LeaseBatch, wrapped as CoordinatorMessage field 3 (each lease a length-delimited field 1 of the
 * batch); undefined when one lease has a string that is not ASCII.
 */
function encodeLeaseBatch(leases: readonly Lease[]): Buffer | undefined {
  const bodies: number[] = [];
  let total = 0;
  for (const l of leases) {
    const body = leaseBodySize(l);
    if (body === undefined) return undefined;
    bodies.push(body);
    total += 1 + varintSize(body) + body;
  }
  const buf = Buffer.allocUnsafe(1 + varintSize(total) + total);
  buf[0] = LEASE_BATCH_TAG;
  let at = writeVarint(buf, 1, total);
  for (let i = 0; i < leases.length; i++) {
    buf[at++] = ENTRY_TAG;
    at = writeVarint(buf, at, bodies[i]);
    at = writeLeaseBody(buf, at, leases[i]);
  }
  return buf;
}

/** The hand-written encoding of `msg` when it is a plain lease or a batch of plain leases, else undefined. */
function encodeFast(msg: CoordinatorMessage): Buffer | undefined {
  if (Object.keys(msg).length !== 1) return undefined;
  if (msg.lease) return fastLease(msg.lease) ? encodeLease(msg.lease) : undefined;
  const batch = msg.leases;
  if (!batch || Object.keys(batch).length !== 1 || !Array.isArray(batch.leases)) return undefined;
  return batch.leases.every((l) => typeof l === 'object' && l !== null && fastLease(l)) ? encodeLeaseBatch(batch.leases) : undefined;
}

/** Serializes a CoordinatorMessage: a plain lease or lease batch by hand, anything else with `fallback` (proto-loader's). */
export function leaseSerializer(fallback: Serialize): Serialize {
  return (msg) => encodeFast(msg) ?? fallback(msg);
}

/** Bit 53: varints at or above it are not read by hand (they may be negative int64 values). */
const SAFE_LIMIT = 2 ** 53;

/** The text {@link repeatedText} decoded last, and its bytes. */
const lastTextBytes = Buffer.alloc(64);
let lastTextLength = -1;
let lastText = '';

/**
 * buf[start, end) as UTF-8, the same string as the previous call when the bytes are the same: the results of a
 * batch name one calculation, and one string for all of them saves a decode per result and lets every map keyed
 * by calculation id reuse its hash.
 */
function repeatedText(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length === lastTextLength) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (buf[start + i] !== lastTextBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastText;
  }
  const text = buf.toString('utf8', start, end);
  if (length <= lastTextBytes.length) {
    buf.copy(lastTextBytes, 0, start, end);
    lastTextLength = length;
    lastText = text;
  }
  return text;
}

/** Field 9 of ChunkResult (span_inside, repeated int64): packed (one length-delimited run) or one varint per entry. */
const SPAN_PACKED_TAG = LEN(9);
const SPAN_ENTRY_TAG = VARINT(9);

/**
 * Reads a ChunkResult occupying buf[start, end) into proto-loader's output shape, or returns undefined when the
 * bytes hold anything the fast path does not handle (the caller then decodes with proto-loader). A span's
 * span_inside may come packed or unpacked (both are valid proto3, and a decoder must take either), or both mixed:
 * the entries are appended in the order they come, as protobufjs does.
 */
function decodeResult(buf: Buffer, start: number, end: number): ChunkResult__Output | undefined {
  let leaseId = '';
  let calculationId = '';
  const ints = [0, 0, 0, 0, 0, 0];
  let spanInside: string[] | undefined;
  let at = start;
  while (at < end) {
    const tag = buf[at++];
    const field = tag >> 3;
    if (tag >= 128 || field < 1 || field > 9) return undefined;
    // One varint: a length (fields 1, 2, packed 9) or a value (fields 3..8, unpacked 9).
    const v = readVarint(buf, at, end);
    if (v < 0) return undefined;
    at = varintEnd;
    if (field <= 2) {
      if ((tag & 7) !== 2 || at + v > end) return undefined;
      const s = field === 1 ? buf.toString('utf8', at, at + v) : repeatedText(buf, at, at + v);
      at += v;
      if (field === 1) leaseId = s;
      else calculationId = s;
    } else if (tag === SPAN_ENTRY_TAG) {
      (spanInside ??= []).push(String(v));
    } else if (tag === SPAN_PACKED_TAG) {
      const runEnd = at + v;
      if (runEnd > end) return undefined;
      spanInside ??= [];
      while (at < runEnd) {
        const entry = readVarint(buf, at, runEnd);
        if (entry < 0) return undefined;
        spanInside.push(String(entry));
        at = varintEnd;
      }
    } else {
      if ((tag & 7) !== 0) return undefined;
      // chunk_count is an int32: a value protobufjs would wrap (2^31 and up) is left to it.
      if (field === 8 && v >= INT32_LIMIT) return undefined;
      ints[field - 3] = v;
    }
  }
  if (at !== end) return undefined;
  return {
    leaseId,
    calculationId,
    chunkIndex: String(ints[0]),
    seed: String(ints[1]),
    points: String(ints[2]),
    inside: String(ints[3]),
    elapsedMs: String(ints[4]),
    chunkCount: ints[5],
    spanInside: spanInside ?? [],
  };
}

/**
 * A WorkerMessage as the coordinator's Work client decodes it: proto-loader's object, except for a ResultBatch of
 * more than {@link MAX_RESULT_BATCH} entries, which is not materialised: `results` is then empty and
 * `oversizedBatch` holds the entry count, for the link to refuse (a 4 MB message of 2-byte entries would otherwise
 * become two million objects).
 */
export type WorkerMessageIn = WorkerMessage__Output & { readonly oversizedBatch?: number };

/** Offset after the varint last read by {@link readVarint}. */
let varintEnd = 0;

/** Reads a varint below 2^53 from buf[at, end) and sets {@link varintEnd}; -1 when it is longer or cut off. */
function readVarint(buf: Buffer, at: number, end: number): number {
  let v = 0;
  let scale = 1;
  while (at < end) {
    const b = buf[at++];
    v += (b & 127) * scale;
    if (b < 128) {
      varintEnd = at;
      return v < SAFE_LIMIT ? v : -1;
    }
    scale *= 128;
    if (scale >= SAFE_LIMIT) return -1;
  }
  return -1;
}

/** Where the body of the message's first field starts when that field is the whole message (tag at 0); else -1. */
function wholeFieldStart(buf: Buffer): number {
  const len = readVarint(buf, 1, buf.length);
  return len >= 0 && varintEnd + len === buf.length ? varintEnd : -1;
}

/**
 * Reads a ResultBatch occupying buf[start, end): its entries (field 1) into proto-loader's output shape, or the
 * oversized marker when they are more than {@link MAX_RESULT_BATCH} (counted before any is decoded, whatever else
 * the batch holds). Undefined when the bytes hold anything else the fast path does not handle.
 */
function decodeResultBatch(buf: Buffer, start: number, end: number): WorkerMessageIn | undefined {
  let count = 0;
  let plain = true;
  for (let at = start; at < end;) {
    const tag = buf[at++];
    const wire = tag & 7;
    if (tag >= 128 || (wire !== 0 && wire !== 2)) return undefined;
    const v = readVarint(buf, at, end);
    if (v < 0) return undefined;
    at = wire === 2 ? varintEnd + v : varintEnd;
    if (at > end) return undefined;
    if (tag === ENTRY_TAG) count++;
    else plain = false;
  }
  if (count > MAX_RESULT_BATCH) return { results: { results: [] }, kind: 'results', oversizedBatch: count };
  if (!plain) return undefined;
  const results: ChunkResult__Output[] = [];
  for (let at = start; at < end;) {
    const len = readVarint(buf, at + 1, end);
    // decodeResult reads varints too: keep where this entry's body starts.
    const body = varintEnd;
    const r = decodeResult(buf, body, body + len);
    if (!r) return undefined;
    results.push(r);
    at = body + len;
  }
  return { results: { results }, kind: 'results' };
}

/**
 * Deserializes a WorkerMessage: a lone ChunkResult or a ResultBatch of plain ones by hand, anything else with
 * `fallback` (proto-loader's).
 */
export function resultDeserializer(fallback: Deserialize): (buf: Buffer) => WorkerMessageIn {
  return (buf) => {
    if (buf.length >= 2 && (buf[0] === RESULT_TAG || buf[0] === RESULT_BATCH_TAG)) {
      // The field must be the whole message: another field after it goes through proto-loader.
      const start = wholeFieldStart(buf);
      if (start >= 0) {
        if (buf[0] === RESULT_TAG) {
          const result = decodeResult(buf, start, buf.length);
          if (result) return { result, kind: 'result' };
        } else {
          const batch = decodeResultBatch(buf, start, buf.length);
          if (batch) return batch;
        }
      }
    }
    return fallback(buf);
  };
}

type WorkerClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => WorkerClient;
let fastClient: WorkerClientConstructor | undefined;

/** The pigrid.v1.Worker client class with the per-chunk messages on the hand-written codec. */
export function workerClientConstructor(): WorkerClientConstructor {
  if (fastClient) return fastClient;
  const service: WorkerDefinition = loadContract().worker.pigrid.v1.Worker.service;
  const work = service.Work;
  const definition = {
    Work: {
      ...work,
      requestSerialize: leaseSerializer(work.requestSerialize),
      responseDeserialize: resultDeserializer(work.responseDeserialize),
    },
  };
  fastClient = grpc.makeGenericClientConstructor(definition, 'pigrid.v1.Worker') as unknown as WorkerClientConstructor;
  return fastClient;
}

/**
 * A ChunkResult off the wire as the scheduler takes it (int64 fields arrive as strings or numbers). A span's count
 * and hit counts are passed only when present: a result of one chunk stays the object it was before spans.
 */
export function resultReportOf(r: ChunkResult__Output): ResultReport {
  const spanInside = r.spanInside;
  if (r.chunkCount === 0 && (spanInside === undefined || spanInside.length === 0)) {
    return {
      leaseId: r.leaseId,
      calculationId: r.calculationId,
      chunkIndex: Number(r.chunkIndex),
      seed: Number(r.seed),
      points: Number(r.points),
      inside: Number(r.inside),
      elapsedMs: Number(r.elapsedMs),
    };
  }
  // Built in one literal: an object spread of the single-chunk report took a slow generic path (~5 µs a result,
  // the largest rpc item of a 1,000-worker dispatch profile, where spans are 2-3 chunks).
  const counts: number[] = new Array<number>(spanInside?.length ?? 0);
  for (let i = 0; i < counts.length; i++) counts[i] = Number(spanInside[i]);
  return {
    leaseId: r.leaseId,
    calculationId: r.calculationId,
    chunkIndex: Number(r.chunkIndex),
    seed: Number(r.seed),
    points: Number(r.points),
    inside: Number(r.inside),
    elapsedMs: Number(r.elapsedMs),
    chunkCount: r.chunkCount,
    spanInside: counts,
  };
}
