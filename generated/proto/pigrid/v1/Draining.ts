// Original file: proto/pigrid/v1/worker.proto

import type { Long } from '@grpc/proto-loader';

export interface Draining {
  'graceMs'?: (number | string | Long);
}

export interface Draining__Output {
  'graceMs': (string);
}
