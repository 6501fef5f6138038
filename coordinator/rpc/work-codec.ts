/**
 * A hand-written codec for the two messages of the Work stream that flow once per chunk: the Lease the coordinator
 * sends and the ChunkResult it receives. proto-loader's dynamic codec builds and converts intermediate protobufjs
 * objects (fromObject, encode, decode, toObject, Long to string), which cost more per chunk than the scheduling;
 * these functions write and read the bytes directly. Every other message, and any lease or result the fast path is
 * not certain to treat exactly as proto-loader would (a negative or unsafe integer, an unknown field, a second
 * oneof member), goes through proto-loader unchanged.
 *
 * The output is byte-identical to proto-loader's (fields in number order, each one given written), and a
 * decoded result is the same object proto-loader would return (int64 as decimal strings, `kind` set, every field
 * present): test/unit/work-codec.test.ts compares both on random messages.
 */
import * as grpc from '@grpc/grpc-js';
import type { CoordinatorMessage } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { Lease } from '../../generated/proto/pigrid/v1/Lease.js';
import type { WorkerClient, WorkerDefinition } from '../../generated/proto/pigrid/v1/Worker.js';
import type { ChunkResult__Output } from '../../generated/proto/pigrid/v1/ChunkResult.js';
import type { WorkerMessage__Output } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { loadContract } from '../../shared/proto.js';
import type { ResultReport } from '../core/scheduler-types.js';

type Serialize = (msg: CoordinatorMessage) => Buffer;
type Deserialize = (buf: Buffer) => WorkerMessage__Output;

/** Wire type 2 (length-delimited) tag of field `n`, and wire type 0 (varint). */
const LEN = (n: number) => (n << 3) | 2;
const VARINT = (n: number) => n << 3;

/** Field 1 of CoordinatorMessage (lease) and field 2 of WorkerMessage (result). */
const LEASE_TAG = LEN(1);
const RESULT_TAG = LEN(2);

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

function fastLease(l: Lease): boolean {
  return (
    (l.leaseId === undefined || typeof l.leaseId === 'string') &&
    (l.calculationId === undefined || typeof l.calculationId === 'string') &&
    plainInt(l.chunkIndex) &&
    plainInt(l.seed) &&
    plainInt(l.points) &&
    plainInt(l.ttlMs)
  );
}

/**
 * The encoded Lease, wrapped as CoordinatorMessage field 1; undefined for a string that is not ASCII. Like protobufjs
 * after fromObject, it writes every field that is present, zero or empty included, and omits absent ones.
 */
function encodeLease(l: Lease): Buffer | undefined {
  const id = l.leaseId;
  const calc = l.calculationId;
  const ints = [l.chunkIndex, l.seed, l.points, l.ttlMs] as (number | undefined)[];
  const idBytes = id === undefined ? 0 : Buffer.byteLength(id);
  const calcBytes = calc === undefined ? 0 : Buffer.byteLength(calc);
  // ASCII only (lease ids are base64url, calculation ids ours): protobufjs writes short non-ASCII strings with its
  // own UTF-8 encoder, which may treat a lone surrogate differently from Buffer's.
  if ((id !== undefined && idBytes !== id.length) || (calc !== undefined && calcBytes !== calc.length)) return undefined;
  let body = 0;
  if (id !== undefined) body += 1 + varintSize(idBytes) + idBytes;
  if (calc !== undefined) body += 1 + varintSize(calcBytes) + calcBytes;
  for (const v of ints) if (v !== undefined) body += 1 + varintSize(v);
  const buf = Buffer.allocUnsafe(1 + varintSize(body) + body);
  let at = 0;
  buf[at++] = LEASE_TAG;
  at = writeVarint(buf, at, body);
  if (id !== undefined) {
    buf[at++] = LEN(1);
    at = writeVarint(buf, at, idBytes);
    at += buf.write(id, at, 'latin1');
  }
  if (calc !== undefined) {
    buf[at++] = LEN(2);
    at = writeVarint(buf, at, calcBytes);
    at += buf.write(calc, at, 'latin1');
  }
  for (let i = 0; i < ints.length; i++) {
    const v = ints[i];
    if (v === undefined) continue;
    buf[at++] = VARINT(3 + i);
    at = writeVarint(buf, at, v);
  }
  return buf;
}

/** Serializes a CoordinatorMessage: a plain lease by hand, anything else with `fallback` (proto-loader's). */
export function leaseSerializer(fallback: Serialize): Serialize {
  return (msg) => {
    const l = msg.lease;
    const fast = l && Object.keys(msg).length === 1 && fastLease(l) ? encodeLease(l) : undefined;
    return fast ?? fallback(msg);
  };
}

/** Bit 53: varints at or above it are not read by hand (they may be negative int64 values). */
const SAFE_LIMIT = 2 ** 53;

/**
 * Reads a ChunkResult occupying buf[start, end) into proto-loader's output shape, or returns undefined when the
 * bytes hold anything the fast path does not handle (the caller then decodes with proto-loader).
 */
function decodeResult(buf: Buffer, start: number, end: number): WorkerMessage__Output['result'] | undefined {
  let leaseId = '';
  let calculationId = '';
  const ints = [0, 0, 0, 0, 0];
  let at = start;
  while (at < end) {
    const tag = buf[at++];
    const field = tag >> 3;
    if (tag >= 128 || field < 1 || field > 7) return undefined;
    // Read one varint: a length (fields 1, 2) or a value (fields 3..7).
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= end) return undefined;
      const b = buf[at++];
      v += (b & 127) * scale;
      if (b < 128) break;
      scale *= 128;
      if (scale >= SAFE_LIMIT) return undefined;
    }
    if (v >= SAFE_LIMIT) return undefined;
    if (field <= 2) {
      if ((tag & 7) !== 2 || at + v > end) return undefined;
      const s = buf.toString('utf8', at, at + v);
      at += v;
      if (field === 1) leaseId = s;
      else calculationId = s;
    } else {
      if ((tag & 7) !== 0) return undefined;
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
  };
}

/** Deserializes a WorkerMessage: a lone ChunkResult by hand, anything else with `fallback` (proto-loader's). */
export function resultDeserializer(fallback: Deserialize): Deserialize {
  return (buf) => {
    if (buf.length >= 2 && buf[0] === RESULT_TAG) {
      let len = 0;
      let scale = 1;
      let at = 1;
      while (at < buf.length && at < 5) {
        const b = buf[at++];
        len += (b & 127) * scale;
        if (b < 128) {
          // The result must be the whole message: another field after it goes through proto-loader.
          if (at + len === buf.length) {
            const result = decodeResult(buf, at, at + len);
            if (result) return { result, kind: 'result' };
          }
          break;
        }
        scale *= 128;
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

/** A ChunkResult off the wire as the scheduler takes it (int64 fields arrive as strings or numbers). */
export function resultReportOf(r: ChunkResult__Output): ResultReport {
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
