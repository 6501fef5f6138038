// Original file: proto/pigrid/v1/calculations.proto

import type { WorkerInfo as _pigrid_v1_WorkerInfo, WorkerInfo__Output as _pigrid_v1_WorkerInfo__Output } from '../../pigrid/v1/WorkerInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface ClusterStatusResponse {
  'workers'?: (_pigrid_v1_WorkerInfo)[];
  'totalCapacity'?: (number);
  'leasesInFlight'?: (number);
  'backlogChunks'?: (number | string | Long);
  'activeCalculations'?: (number);
  'singleModeThreads'?: (number);
}

export interface ClusterStatusResponse__Output {
  'workers': (_pigrid_v1_WorkerInfo__Output)[];
  'totalCapacity': (number);
  'leasesInFlight': (number);
  'backlogChunks': (string);
  'activeCalculations': (number);
  'singleModeThreads': (number);
}
