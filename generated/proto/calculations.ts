import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Calculation as _pigrid_v1_Calculation, Calculation__Output as _pigrid_v1_Calculation__Output } from './pigrid/v1/Calculation.js';
import type { CalculationsClient as _pigrid_v1_CalculationsClient, CalculationsDefinition as _pigrid_v1_CalculationsDefinition } from './pigrid/v1/Calculations.js';
import type { CancelRequest as _pigrid_v1_CancelRequest, CancelRequest__Output as _pigrid_v1_CancelRequest__Output } from './pigrid/v1/CancelRequest.js';
import type { ClusterStatusRequest as _pigrid_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _pigrid_v1_ClusterStatusRequest__Output } from './pigrid/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _pigrid_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _pigrid_v1_ClusterStatusResponse__Output } from './pigrid/v1/ClusterStatusResponse.js';
import type { GetRequest as _pigrid_v1_GetRequest, GetRequest__Output as _pigrid_v1_GetRequest__Output } from './pigrid/v1/GetRequest.js';
import type { ListRequest as _pigrid_v1_ListRequest, ListRequest__Output as _pigrid_v1_ListRequest__Output } from './pigrid/v1/ListRequest.js';
import type { ListResponse as _pigrid_v1_ListResponse, ListResponse__Output as _pigrid_v1_ListResponse__Output } from './pigrid/v1/ListResponse.js';
import type { QuarantinedWorker as _pigrid_v1_QuarantinedWorker, QuarantinedWorker__Output as _pigrid_v1_QuarantinedWorker__Output } from './pigrid/v1/QuarantinedWorker.js';
import type { SubmitRequest as _pigrid_v1_SubmitRequest, SubmitRequest__Output as _pigrid_v1_SubmitRequest__Output } from './pigrid/v1/SubmitRequest.js';
import type { VerifierCount as _pigrid_v1_VerifierCount, VerifierCount__Output as _pigrid_v1_VerifierCount__Output } from './pigrid/v1/VerifierCount.js';
import type { WatchRequest as _pigrid_v1_WatchRequest, WatchRequest__Output as _pigrid_v1_WatchRequest__Output } from './pigrid/v1/WatchRequest.js';
import type { WorkerInfo as _pigrid_v1_WorkerInfo, WorkerInfo__Output as _pigrid_v1_WorkerInfo__Output } from './pigrid/v1/WorkerInfo.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  pigrid: {
    v1: {
      Calculation: MessageTypeDefinition<_pigrid_v1_Calculation, _pigrid_v1_Calculation__Output>
      Calculations: SubtypeConstructor<typeof grpc.Client, _pigrid_v1_CalculationsClient> & { service: _pigrid_v1_CalculationsDefinition }
      CancelRequest: MessageTypeDefinition<_pigrid_v1_CancelRequest, _pigrid_v1_CancelRequest__Output>
      ClusterStatusRequest: MessageTypeDefinition<_pigrid_v1_ClusterStatusRequest, _pigrid_v1_ClusterStatusRequest__Output>
      ClusterStatusResponse: MessageTypeDefinition<_pigrid_v1_ClusterStatusResponse, _pigrid_v1_ClusterStatusResponse__Output>
      GetRequest: MessageTypeDefinition<_pigrid_v1_GetRequest, _pigrid_v1_GetRequest__Output>
      ListRequest: MessageTypeDefinition<_pigrid_v1_ListRequest, _pigrid_v1_ListRequest__Output>
      ListResponse: MessageTypeDefinition<_pigrid_v1_ListResponse, _pigrid_v1_ListResponse__Output>
      Mode: EnumTypeDefinition
      QuarantinedWorker: MessageTypeDefinition<_pigrid_v1_QuarantinedWorker, _pigrid_v1_QuarantinedWorker__Output>
      Status: EnumTypeDefinition
      SubmitRequest: MessageTypeDefinition<_pigrid_v1_SubmitRequest, _pigrid_v1_SubmitRequest__Output>
      VerifierCount: MessageTypeDefinition<_pigrid_v1_VerifierCount, _pigrid_v1_VerifierCount__Output>
      WatchRequest: MessageTypeDefinition<_pigrid_v1_WatchRequest, _pigrid_v1_WatchRequest__Output>
      WorkerInfo: MessageTypeDefinition<_pigrid_v1_WorkerInfo, _pigrid_v1_WorkerInfo__Output>
    }
  }
}

