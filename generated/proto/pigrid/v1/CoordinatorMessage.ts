// Original file: proto/pigrid/v1/worker.proto

import type { Lease as _pigrid_v1_Lease, Lease__Output as _pigrid_v1_Lease__Output } from '../../pigrid/v1/Lease.js';
import type { Revoke as _pigrid_v1_Revoke, Revoke__Output as _pigrid_v1_Revoke__Output } from '../../pigrid/v1/Revoke.js';
import type { LeaseBatch as _pigrid_v1_LeaseBatch, LeaseBatch__Output as _pigrid_v1_LeaseBatch__Output } from '../../pigrid/v1/LeaseBatch.js';

export interface CoordinatorMessage {
  'lease'?: (_pigrid_v1_Lease | null);
  'revoke'?: (_pigrid_v1_Revoke | null);
  'leases'?: (_pigrid_v1_LeaseBatch | null);
  'kind'?: "lease"|"revoke"|"leases";
}

export interface CoordinatorMessage__Output {
  'lease'?: (_pigrid_v1_Lease__Output | null);
  'revoke'?: (_pigrid_v1_Revoke__Output | null);
  'leases'?: (_pigrid_v1_LeaseBatch__Output | null);
  'kind'?: "lease"|"revoke"|"leases";
}
