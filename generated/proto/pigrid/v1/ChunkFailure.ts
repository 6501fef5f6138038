// Original file: proto/pigrid/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface ChunkFailure {
  'leaseId'?: (string);
  'calculationId'?: (string);
  'chunkIndex'?: (number | string | Long);
  'code'?: (string);
  'message'?: (string);
}

export interface ChunkFailure__Output {
  'leaseId': (string);
  'calculationId': (string);
  'chunkIndex': (string);
  'code': (string);
  'message': (string);
}
