// Original file: proto/pigrid/v1/calculations.proto

import type { Long } from '@grpc/proto-loader';

export interface VerifierCount {
  'workerId'?: (string);
  'chunks'?: (number | string | Long);
}

export interface VerifierCount__Output {
  'workerId': (string);
  'chunks': (string);
}
