/**
 * A `Calculation` as the gateway reads it from the coordinator (the proto-loader output shape), for tests of the
 * gateway's read path with a fake CoordinatorClient: ten chunks of 100 points, `chunksDone` of them done.
 */
import type { Calculation__Output } from '../../generated/proto/pigrid/v1/Calculation.js';

export function calculationOutput(id: string, status: Calculation__Output['status'], chunksDone: number): Calculation__Output {
  return {
    id,
    status,
    mode: 'MODE_DISTRIBUTED',
    points: '1000',
    pointsDone: String(chunksDone * 100),
    progress: chunksDone / 10,
    inside: String(chunksDone * 78),
    seed: '1',
    chunkSize: '100',
    chunkCount: '10',
    chunksDone: String(chunksDone),
    createdAtMs: '1',
    error: '',
    errorCode: '',
    chunksReleased: '0',
    duplicateResults: '0',
    chunksVerified: '0',
    chunksRecomputed: '0',
    verifiedBy: [],
  } as unknown as Calculation__Output;
}
