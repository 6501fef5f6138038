// Original file: proto/pigrid/v1/worker.proto

import type { Lease as _pigrid_v1_Lease, Lease__Output as _pigrid_v1_Lease__Output } from '../../pigrid/v1/Lease.js';

export interface LeaseBatch {
  'leases'?: (_pigrid_v1_Lease)[];
}

export interface LeaseBatch__Output {
  'leases': (_pigrid_v1_Lease__Output)[];
}
