/**
 * The hand-written codec of the per-chunk Work-stream messages (coordinator/rpc/work-codec.ts) against proto-loader's:
 * a lease encodes to the same bytes, a result decodes to the same object, and everything else falls back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoordinatorMessage } from '../../generated/proto/pigrid/v1/CoordinatorMessage.js';
import type { WorkerMessage } from '../../generated/proto/pigrid/v1/WorkerMessage.js';
import { leaseSerializer, resultDeserializer, workerClientConstructor } from '../../coordinator/rpc/work-codec.js';
import { loadContract } from '../../shared/proto.js';

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

describe('lease encoding', () => {
  it('writes exactly the bytes proto-loader writes, without calling it', () => {
    const fallback = counted(work.requestSerialize);
    const serialize = leaseSerializer(fallback.f);
    fc.assert(
      fc.property(
        fc.record(
          { leaseId: ascii, calculationId: ascii, chunkIndex: int64, seed: int64, points: int64, ttlMs: int64 },
          { requiredKeys: [] },
        ),
        (lease) => {
          const msg: CoordinatorMessage = { lease };
          expect(serialize(msg).equals(work.requestSerialize(msg))).toBe(true);
        },
      ),
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
  ])('leaves %s to proto-loader, with the same bytes', (_name, msg) => {
    const fallback = counted(work.requestSerialize);
    expect(leaseSerializer(fallback.f)(msg).equals(work.requestSerialize(msg))).toBe(true);
    expect(fallback.calls()).toBe(1);
  });
});

describe('result decoding', () => {
  it('reads a lone ChunkResult into the object proto-loader returns, without calling it', () => {
    const fallback = counted(work.responseDeserialize);
    const deserialize = resultDeserializer(fallback.f);
    fc.assert(
      fc.property(
        fc.record(
          {
            leaseId: fc.oneof(ascii, fc.string({ maxLength: 80 })),
            calculationId: ascii,
            chunkIndex: int64,
            seed: int64,
            points: int64,
            inside: int64,
            elapsedMs: int64,
          },
          { requiredKeys: [] },
        ),
        (result) => {
          const buf = work.responseSerialize({ result });
          expect(deserialize(buf)).toStrictEqual(work.responseDeserialize(buf));
        },
      ),
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
    ['an unknown field inside the result', withFieldsAfter([(9 << 3) | 0, 1])],
    ['a field with the wrong wire type', withFieldsAfter([(3 << 3) | 2, 1, 65])],
    ['a result followed by a heartbeat', Buffer.concat([result, work.responseSerialize({ heartbeat: { leaseIds: ['a'] } })])],
    ['two results (merged by protobuf)', Buffer.concat([result, result])],
  ])('leaves %s to proto-loader, with the same outcome', (_name, buf) => {
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
  });

  it('hands a truncated result to proto-loader, which refuses it', () => {
    const fallback = counted(work.responseDeserialize);
    const cut = Buffer.from(result.subarray(0, result.length - 1));
    expect(() => resultDeserializer(fallback.f)(cut)).toThrow();
    expect(fallback.calls()).toBe(1);
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
