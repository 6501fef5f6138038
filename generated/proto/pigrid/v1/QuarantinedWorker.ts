// Original file: proto/pigrid/v1/calculations.proto

import type { Long } from '@grpc/proto-loader';

export interface QuarantinedWorker {
  'workerId'?: (string);
  'instanceId'?: (string);
  'reason'?: (string);
  'quarantinedAtMs'?: (number | string | Long);
}

export interface QuarantinedWorker__Output {
  'workerId': (string);
  'instanceId': (string);
  'reason': (string);
  'quarantinedAtMs': (string);
}
