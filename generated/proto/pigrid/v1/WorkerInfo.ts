// Original file: proto/pigrid/v1/calculations.proto

import type { Long } from '@grpc/proto-loader';

export interface WorkerInfo {
  'id'?: (string);
  'address'?: (string);
  'capacity'?: (number);
  'inFlight'?: (number);
  'state'?: (string);
  'chunksCompleted'?: (number | string | Long);
  'connectedAtMs'?: (number | string | Long);
  'instanceId'?: (string);
  'credits'?: (number);
  'chunksVerified'?: (number | string | Long);
}

export interface WorkerInfo__Output {
  'id': (string);
  'address': (string);
  'capacity': (number);
  'inFlight': (number);
  'state': (string);
  'chunksCompleted': (string);
  'connectedAtMs': (string);
  'instanceId': (string);
  'credits': (number);
  'chunksVerified': (string);
}
