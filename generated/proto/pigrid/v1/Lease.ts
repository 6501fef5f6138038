// Original file: proto/pigrid/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface Lease {
  'leaseId'?: (string);
  'calculationId'?: (string);
  'chunkIndex'?: (number | string | Long);
  'seed'?: (number | string | Long);
  'points'?: (number | string | Long);
  'ttlMs'?: (number | string | Long);
  'chunkCount'?: (number);
}

export interface Lease__Output {
  'leaseId': (string);
  'calculationId': (string);
  'chunkIndex': (string);
  'seed': (string);
  'points': (string);
  'ttlMs': (string);
  'chunkCount': (number);
}
