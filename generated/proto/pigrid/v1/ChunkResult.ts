// Original file: proto/pigrid/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface ChunkResult {
  'leaseId'?: (string);
  'calculationId'?: (string);
  'chunkIndex'?: (number | string | Long);
  'seed'?: (number | string | Long);
  'points'?: (number | string | Long);
  'inside'?: (number | string | Long);
  'elapsedMs'?: (number | string | Long);
  'chunkCount'?: (number);
  'spanInside'?: (number | string | Long)[];
}

export interface ChunkResult__Output {
  'leaseId': (string);
  'calculationId': (string);
  'chunkIndex': (string);
  'seed': (string);
  'points': (string);
  'inside': (string);
  'elapsedMs': (string);
  'chunkCount': (number);
  'spanInside': (string)[];
}
