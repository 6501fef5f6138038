/**
 * The hand-written codec of the per-chunk Work-stream messages (coordinator/rpc/work-codec.ts) against proto-loader's:
 * a lease encodes to the same bytes, a result decodes to the same object, and everything else falls back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoordinatorMessage } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { WorkerMessage } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { leaseSerializer, resultDeserializer, resultReportOf, workerClientConstructor } from '../../coordinator/rpc/work-codec.js';
import { loadContract } from '../../shared/proto.js';
import { MAX_RESULT_BATCH } from '../../shared/wire.js';

const work = loadContract().worker.pigrid.v1.Worker.service.Work;
const runs = { numRuns: Number(process.env.PIGRID_PROPERTY_RUNS ?? 2000) };

/** Counts fallback calls, so a test can tell which path a message took. */
function counted<A, R>(f: (a: A) => R): { f: (a: A) => R; calls: () => number } {
  let n = 0;
  return {
    f: (a) => {
      n++;
      return f(a);
    },
    calls: () => n,
  };
}

const ascii = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.'), maxLength: 200 });
const int64 = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: 2 ** 31 }),
  fc.maxSafeInteger().filter((v) => v >= 0),
);
/** int32 values the fast path writes and reads: 0..2^31-1. */
const int32 = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1024 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
const leaseArb = fc.record(
  { leaseId: ascii, calculationId: ascii, chunkIndex: int64, seed: int64, points: int64, ttlMs: int64, chunkCount: int32 },
  { requiredKeys: [] },
);
const resultArb = fc.record(
  {
    leaseId: fc.oneof(ascii, fc.string({ maxLength: 80 })),
    calculationId: ascii,
    chunkIndex: int64,
    seed: int64,
    points: int64,
    inside: int64,
    elapsedMs: int64,
    chunkCount: int32,
    spanInside: fc.array(int64, { maxLength: 40 }),
  },
  { requiredKeys: [] },
);

describe('lease encoding', () => {
  it('writes exactly the bytes proto-loader writes, without calling it', () => {
    const fallback = counted(work.requestSerialize);
    const serialize = leaseSerializer(fallback.f);
    fc.assert(
      fc.property(leaseArb, (lease) => {
        const msg: CoordinatorMessage = { lease };
        expect(serialize(msg).equals(work.requestSerialize(msg))).toBe(true);
      }),
      runs,
    );
    expect(fallback.calls()).toBe(0);
  });

  it.each<[string, CoordinatorMessage]>([
    ['a revoke', { revoke: { leaseIds: ['a', 'b'], reason: 'EXPIRED' } }],
    ['an int64 given as a string', { lease: { leaseId: 'x', chunkIndex: '5' } }],
    ['a negative int64', { lease: { leaseId: 'x', seed: -1 } }],
    ['a non-integer', { lease: { leaseId: 'x', points: 1.5 } }],
    ['an unsafe integer', { lease: { leaseId: 'x', points: 2 ** 60 } }],
    ['a non-ASCII string', { lease: { leaseId: 'x\u00e9', calculationId: 'c' } }],
    ['a lone surrogate', { lease: { calculationId: 'c\ud800' } }],
    ['a second field', { lease: { leaseId: 'x' }, revoke: { leaseIds: ['y'], reason: 'CANCELLED' } }],
    ['a batch with one non-ASCII lease', { leases: { leases: [{ leaseId: 'x' }, { leaseId: 'y\u00e9' }] } }],
    ['a batch with one int64 given as a string', { leases: { leases: [{ leaseId: 'x' }, { leaseId: 'y', seed: '3' }] } }],
    ['a batch without its list', { leases: {} }],
    ['a batch beside a lease', { lease: { leaseId: 'x' }, leases: { leases: [{ leaseId: 'y' }] } }],
  ])('leaves %s to proto-loader, with the same bytes', (_name, msg) => {
    const fallback = counted(work.requestSerialize);
    expect(leaseSerializer(fallback.f)(msg).equals(work.requestSerialize(msg))).toBe(true);
    expect(fallback.calls()).toBe(1);
  });
});

describe('lease batch encoding', () => {
  it('writes exactly the bytes proto-loader writes for a LeaseBatch, without calling it', () => {
    const fallback = counted(work.requestSerialize);
    const serialize = leaseSerializer(fallback.f);
    fc.assert(
      fc.property(fc.array(leaseArb, { maxLength: 20 }), (leases) => {
        const msg: CoordinatorMessage = { leases: { leases } };
        expect(serialize(msg).equals(work.requestSerialize(msg))).toBe(true);
      }),
      runs,
    );
    expect(fallback.calls()).toBe(0);
  });
});

describe('result batch decoding', () => {
  it('reads a ResultBatch into the object proto-loader returns, without calling it', () => {
    const fallback = counted(work.responseDeserialize);
    const deserialize = resultDeserializer(fallback.f);
    fc.assert(
      fc.property(fc.array(resultArb, { maxLength: 20 }), (results) => {
        const buf = work.responseSerialize({ results: { results } });
        expect(deserialize(buf)).toStrictEqual(work.responseDeserialize(buf));
      }),
      runs,
    );
    expect(fallback.calls()).toBe(0);
  });

  const entry = { leaseId: 'L.1', calculationId: 'c', chunkIndex: 3, seed: 9, points: 1000, inside: 780 };
  const batchOf = (n: number) => work.responseSerialize({ results: { results: Array.from({ length: n }, () => entry) } });

  it(`decodes a batch of exactly ${MAX_RESULT_BATCH} entries`, () => {
    const buf = batchOf(MAX_RESULT_BATCH);
    expect(resultDeserializer(work.responseDeserialize)(buf)).toStrictEqual(work.responseDeserialize(buf));
  });

  it('counts the entries of a longer batch without decoding them, whatever else it holds', () => {
    const fallback = counted(work.responseDeserialize);
    const deserialize = resultDeserializer(fallback.f);
    const empties = Buffer.alloc(2 * (MAX_RESULT_BATCH + 1));
    for (let i = 0; i < empties.length; i += 2) empties[i] = (1 << 3) | 2; // entry of length 0
    const unknown = Buffer.from([(9 << 3) | 0, 1]);
    for (const [body, count] of [
      [bodyOf(batchOf(MAX_RESULT_BATCH + 1)), MAX_RESULT_BATCH + 1],
      [empties, MAX_RESULT_BATCH + 1],
      [Buffer.concat([unknown, empties]), MAX_RESULT_BATCH + 1],
    ] as const) {
      const len = Buffer.alloc(4);
      const lenBytes = writeLength(len, body.length);
      const buf = Buffer.concat([Buffer.from([(6 << 3) | 2]), len.subarray(0, lenBytes), body]);
      expect(work.responseDeserialize(buf).results?.results).toHaveLength(count);
      expect(deserialize(buf)).toStrictEqual({ results: { results: [] }, kind: 'results', oversizedBatch: count });
    }
    expect(fallback.calls()).toBe(0);
  });

  const batch = batchOf(2);
  const withEntryAfter = (extra: number[]) => {
    const body = Buffer.concat([batch.subarray(2), Buffer.from(extra)]);
    return Buffer.concat([Buffer.from([batch[0], body.length]), body]);
  };
  it.each<[string, Buffer]>([
    ['a negative int64 in one entry', work.responseSerialize({ results: { results: [entry, { leaseId: 'x', inside: -5 }] } })],
    ['an unknown field beside the entries', withEntryAfter([(9 << 3) | 0, 1])],
    ['an entry with an unknown field', withEntryAfter([(1 << 3) | 2, 2, (12 << 3) | 0, 1])],
    ['a truncated entry', withEntryAfter([(1 << 3) | 2, 5, 0])],
    ['a batch followed by a heartbeat', Buffer.concat([batch, work.responseSerialize({ heartbeat: { leaseIds: ['a'] } })])],
    ['two batches (merged by protobuf)', Buffer.concat([batch, batch])],
  ])('leaves %s to proto-loader, with the same outcome', (_name, buf) => expectSameOutcome(buf));
});

/** The body of a message's single field: what follows its tag and length. */
function bodyOf(buf: Buffer): Buffer {
  let at = 1;
  while (buf[at++] >= 128);
  return buf.subarray(at);
}

/** Writes `v` (a safe non-negative integer) as a varint at the start of `buf`; returns its length. */
function writeLength(buf: Buffer, v: number): number {
  let at = 0;
  while (v >= 128) {
    buf[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[at++] = v;
  return at;
}

/** The fast decoder hands `buf` to proto-loader (called exactly once) and gives its result or its error. */
function expectSameOutcome(buf: Buffer): void {
  const fallback = counted(work.responseDeserialize);
  let expected: unknown;
  try {
    expected = work.responseDeserialize(buf);
  } catch (err) {
    expect(() => resultDeserializer(fallback.f)(buf)).toThrow((err as Error).message);
    expect(fallback.calls()).toBe(1);
    return;
  }
  expect(resultDeserializer(fallback.f)(buf)).toStrictEqual(expected);
  expect(fallback.calls()).toBe(1);
}

describe('result decoding', () => {
  it('reads a lone ChunkResult into the object proto-loader returns, without calling it', () => {
    const fallback = counted(work.responseDeserialize);
    const deserialize = resultDeserializer(fallback.f);
    fc.assert(
      fc.property(resultArb, (result) => {
        const buf = work.responseSerialize({ result });
        expect(deserialize(buf)).toStrictEqual(work.responseDeserialize(buf));
      }),
      runs,
    );
    expect(fallback.calls()).toBe(0);
  });

  /** A result as proto-loader writes it, then bytes appended or changed. */
  const result = work.responseSerialize({
    result: { leaseId: 'L.1', calculationId: 'c', chunkIndex: 3, seed: 9, points: 1000, inside: 780 },
  });
  const withFieldsAfter = (extra: number[]) => {
    const body = Buffer.concat([result.subarray(2), Buffer.from(extra)]);
    return Buffer.concat([Buffer.from([result[0], body.length]), body]);
  };
  it.each<[string, Buffer]>([
    ['a hello', work.responseSerialize({ hello: { workerId: 'w', capacity: 2 } })],
    ['a heartbeat', work.responseSerialize({ heartbeat: { leaseIds: ['a', 'b'] } })],
    ['a failure', work.responseSerialize({ failure: { leaseId: 'a', code: 'KERNEL_ERROR', message: 'm' } })],
    ['a negative int64', work.responseSerialize({ result: { leaseId: 'x', inside: -5 } })],
    ['an int64 beyond 2^53', work.responseSerialize({ result: { leaseId: 'x', seed: '18014398509481984' } })],
    ['an unknown field inside the result', withFieldsAfter([(12 << 3) | 0, 1])],
    ['a negative chunk_count', work.responseSerialize({ result: { leaseId: 'x', chunkCount: -1 } })],
    ['a chunk_count beyond int32 (wrapped by protobufjs)', withFieldsAfter([(8 << 3) | 0, 0x80, 0x80, 0x80, 0x80, 0x08])],
    ['a negative span count', work.responseSerialize({ result: { leaseId: 'x', chunkCount: 2, spanInside: [1, -1] } })],
    ['a packed span run cut short', withFieldsAfter([(9 << 3) | 2, 3, 1, 2])],
    ['a span count with the wrong wire type', withFieldsAfter([(9 << 3) | 5, 1, 2, 3, 4])],
    ['a field with the wrong wire type', withFieldsAfter([(3 << 3) | 2, 1, 65])],
    ['a result followed by a heartbeat', Buffer.concat([result, work.responseSerialize({ heartbeat: { leaseIds: ['a'] } })])],
    ['two results (merged by protobuf)', Buffer.concat([result, result])],
  ])('leaves %s to proto-loader, with the same outcome', (_name, buf) => expectSameOutcome(buf));

  it('reads span counts packed, unpacked, or both mixed, as proto-loader does, without calling it', () => {
    const fallback = counted(work.responseDeserialize);
    const deserialize = resultDeserializer(fallback.f);
    fc.assert(
      fc.property(resultArb, fc.array(fc.tuple(int64, fc.boolean()), { minLength: 1, maxLength: 20 }), (r, entries) => {
        // The result without span counts, then each count as an unpacked field or a packed run of one.
        const head = bodyOf(work.responseSerialize({ result: { ...r, spanInside: [] } }));
        const tail: number[] = [];
        for (const [v, packed] of entries) {
          const varint = Buffer.alloc(10);
          const n = writeLength(varint, v);
          if (packed) tail.push((9 << 3) | 2, n, ...varint.subarray(0, n));
          else tail.push((9 << 3) | 0, ...varint.subarray(0, n));
        }
        const body = Buffer.concat([head, Buffer.from(tail)]);
        const len = Buffer.alloc(4);
        const buf = Buffer.concat([Buffer.from([(2 << 3) | 2]), len.subarray(0, writeLength(len, body.length)), body]);
        const decoded = work.responseDeserialize(buf);
        expect(decoded.result?.spanInside).toEqual(entries.map(([v]) => String(v)));
        expect(deserialize(buf)).toStrictEqual(decoded);
      }),
      runs,
    );
    expect(fallback.calls()).toBe(0);
  });

  it('hands a truncated result to proto-loader, which refuses it', () => {
    const fallback = counted(work.responseDeserialize);
    const cut = Buffer.from(result.subarray(0, result.length - 1));
    expect(() => resultDeserializer(fallback.f)(cut)).toThrow();
    expect(fallback.calls()).toBe(1);
  });
});

describe('result report', () => {
  const wire = { leaseId: 'L', calculationId: 'c', chunkIndex: '40', seed: '9', points: '1000', inside: '1570', elapsedMs: '3' };
  it('turns a single result into numbers, with no span fields', () => {
    const r = resultReportOf({ ...wire, chunkCount: 0, spanInside: [] });
    expect(r).toStrictEqual({ leaseId: 'L', calculationId: 'c', chunkIndex: 40, seed: 9, points: 1000, inside: 1570, elapsedMs: 3 });
  });

  it("turns a span's counts into numbers, in order, and keeps its count (even one that does not match them)", () => {
    expect(resultReportOf({ ...wire, chunkCount: 2, spanInside: ['785', '785'] })).toStrictEqual({
      leaseId: 'L',
      calculationId: 'c',
      chunkIndex: 40,
      seed: 9,
      points: 1000,
      inside: 1570,
      elapsedMs: 3,
      chunkCount: 2,
      spanInside: [785, 785],
    });
    // The scheduler refuses these; the report must carry them as sent.
    expect(resultReportOf({ ...wire, chunkCount: 3, spanInside: ['1570'] })).toMatchObject({ chunkCount: 3, spanInside: [1570] });
    expect(resultReportOf({ ...wire, chunkCount: 0, spanInside: ['1', '2'] })).toMatchObject({ chunkCount: 0, spanInside: [1, 2] });
    expect(resultReportOf({ ...wire, chunkCount: 2, spanInside: [] })).toMatchObject({ chunkCount: 2, spanInside: [] });
  });
});

it('the Worker client class uses both and keeps the method path', () => {
  const Ctor = workerClientConstructor();
  const def = (Ctor as unknown as { service: Record<string, typeof work> }).service.Work;
  expect(def.path).toBe('/pigrid.v1.Worker/Work');
  expect(def.requestSerialize).not.toBe(work.requestSerialize);
  expect(def.responseDeserialize).not.toBe(work.responseDeserialize);
  const msg: WorkerMessage = { result: { leaseId: 'a', inside: 7 } };
  expect(def.responseDeserialize(work.responseSerialize(msg))).toStrictEqual(work.responseDeserialize(work.responseSerialize(msg)));
});
