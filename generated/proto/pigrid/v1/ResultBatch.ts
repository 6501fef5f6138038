// Original file: proto/pigrid/v1/worker.proto

import type { ChunkResult as _pigrid_v1_ChunkResult, ChunkResult__Output as _pigrid_v1_ChunkResult__Output } from '../../pigrid/v1/ChunkResult.js';

export interface ResultBatch {
  'results'?: (_pigrid_v1_ChunkResult)[];
}

export interface ResultBatch__Output {
  'results': (_pigrid_v1_ChunkResult__Output)[];
}
