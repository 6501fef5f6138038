// Original file: proto/pigrid/v1/calculations.proto

import type { WorkerInfo as _pigrid_v1_WorkerInfo, WorkerInfo__Output as _pigrid_v1_WorkerInfo__Output } from '../../pigrid/v1/WorkerInfo.js';
import type { QuarantinedWorker as _pigrid_v1_QuarantinedWorker, QuarantinedWorker__Output as _pigrid_v1_QuarantinedWorker__Output } from '../../pigrid/v1/QuarantinedWorker.js';
import type { Long } from '@grpc/proto-loader';

export interface ClusterStatusResponse {
  'workers'?: (_pigrid_v1_WorkerInfo)[];
  'totalCapacity'?: (number);
  'leasesInFlight'?: (number);
  'backlogChunks'?: (number | string | Long);
  'activeCalculations'?: (number);
  'singleModeThreads'?: (number);
  'quarantined'?: (_pigrid_v1_QuarantinedWorker)[];
}

export interface ClusterStatusResponse__Output {
  'workers': (_pigrid_v1_WorkerInfo__Output)[];
  'totalCapacity': (number);
  'leasesInFlight': (number);
  'backlogChunks': (string);
  'activeCalculations': (number);
  'singleModeThreads': (number);
  'quarantined': (_pigrid_v1_QuarantinedWorker__Output)[];
}
