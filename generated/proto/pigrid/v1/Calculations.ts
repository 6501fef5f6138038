// Original file: proto/pigrid/v1/calculations.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Calculation as _pigrid_v1_Calculation, Calculation__Output as _pigrid_v1_Calculation__Output } from '../../pigrid/v1/Calculation.js';
import type { CancelRequest as _pigrid_v1_CancelRequest, CancelRequest__Output as _pigrid_v1_CancelRequest__Output } from '../../pigrid/v1/CancelRequest.js';
import type { ClusterStatusRequest as _pigrid_v1_ClusterStatusRequest, ClusterStatusRequest__Output as _pigrid_v1_ClusterStatusRequest__Output } from '../../pigrid/v1/ClusterStatusRequest.js';
import type { ClusterStatusResponse as _pigrid_v1_ClusterStatusResponse, ClusterStatusResponse__Output as _pigrid_v1_ClusterStatusResponse__Output } from '../../pigrid/v1/ClusterStatusResponse.js';
import type { GetRequest as _pigrid_v1_GetRequest, GetRequest__Output as _pigrid_v1_GetRequest__Output } from '../../pigrid/v1/GetRequest.js';
import type { ListRequest as _pigrid_v1_ListRequest, ListRequest__Output as _pigrid_v1_ListRequest__Output } from '../../pigrid/v1/ListRequest.js';
import type { ListResponse as _pigrid_v1_ListResponse, ListResponse__Output as _pigrid_v1_ListResponse__Output } from '../../pigrid/v1/ListResponse.js';
import type { SubmitRequest as _pigrid_v1_SubmitRequest, SubmitRequest__Output as _pigrid_v1_SubmitRequest__Output } from '../../pigrid/v1/SubmitRequest.js';
import type { WatchRequest as _pigrid_v1_WatchRequest, WatchRequest__Output as _pigrid_v1_WatchRequest__Output } from '../../pigrid/v1/WatchRequest.js';

export interface CalculationsClient extends grpc.Client {
  Cancel(argument: _pigrid_v1_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _pigrid_v1_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _pigrid_v1_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _pigrid_v1_CancelRequest, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  cancel(argument: _pigrid_v1_CancelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  cancel(argument: _pigrid_v1_CancelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  cancel(argument: _pigrid_v1_CancelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  cancel(argument: _pigrid_v1_CancelRequest, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  
  ClusterStatus(argument: _pigrid_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _pigrid_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _pigrid_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  ClusterStatus(argument: _pigrid_v1_ClusterStatusRequest, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pigrid_v1_ClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pigrid_v1_ClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pigrid_v1_ClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  clusterStatus(argument: _pigrid_v1_ClusterStatusRequest, callback: grpc.requestCallback<_pigrid_v1_ClusterStatusResponse__Output>): grpc.ClientUnaryCall;
  
  Get(argument: _pigrid_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Get(argument: _pigrid_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Get(argument: _pigrid_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Get(argument: _pigrid_v1_GetRequest, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  get(argument: _pigrid_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  get(argument: _pigrid_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  get(argument: _pigrid_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  get(argument: _pigrid_v1_GetRequest, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  
  List(argument: _pigrid_v1_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _pigrid_v1_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _pigrid_v1_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  List(argument: _pigrid_v1_ListRequest, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _pigrid_v1_ListRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _pigrid_v1_ListRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _pigrid_v1_ListRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  list(argument: _pigrid_v1_ListRequest, callback: grpc.requestCallback<_pigrid_v1_ListResponse__Output>): grpc.ClientUnaryCall;
  
  Submit(argument: _pigrid_v1_SubmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Submit(argument: _pigrid_v1_SubmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Submit(argument: _pigrid_v1_SubmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  Submit(argument: _pigrid_v1_SubmitRequest, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  submit(argument: _pigrid_v1_SubmitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  submit(argument: _pigrid_v1_SubmitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  submit(argument: _pigrid_v1_SubmitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  submit(argument: _pigrid_v1_SubmitRequest, callback: grpc.requestCallback<_pigrid_v1_Calculation__Output>): grpc.ClientUnaryCall;
  
  Watch(argument: _pigrid_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pigrid_v1_Calculation__Output>;
  Watch(argument: _pigrid_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pigrid_v1_Calculation__Output>;
  watch(argument: _pigrid_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_pigrid_v1_Calculation__Output>;
  watch(argument: _pigrid_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_pigrid_v1_Calculation__Output>;
  
}

export interface CalculationsHandlers extends grpc.UntypedServiceImplementation {
  Cancel: grpc.handleUnaryCall<_pigrid_v1_CancelRequest__Output, _pigrid_v1_Calculation>;
  
  ClusterStatus: grpc.handleUnaryCall<_pigrid_v1_ClusterStatusRequest__Output, _pigrid_v1_ClusterStatusResponse>;
  
  Get: grpc.handleUnaryCall<_pigrid_v1_GetRequest__Output, _pigrid_v1_Calculation>;
  
  List: grpc.handleUnaryCall<_pigrid_v1_ListRequest__Output, _pigrid_v1_ListResponse>;
  
  Submit: grpc.handleUnaryCall<_pigrid_v1_SubmitRequest__Output, _pigrid_v1_Calculation>;
  
  Watch: grpc.handleServerStreamingCall<_pigrid_v1_WatchRequest__Output, _pigrid_v1_Calculation>;
  
}

export interface CalculationsDefinition extends grpc.ServiceDefinition {
  Cancel: MethodDefinition<_pigrid_v1_CancelRequest, _pigrid_v1_Calculation, _pigrid_v1_CancelRequest__Output, _pigrid_v1_Calculation__Output>
  ClusterStatus: MethodDefinition<_pigrid_v1_ClusterStatusRequest, _pigrid_v1_ClusterStatusResponse, _pigrid_v1_ClusterStatusRequest__Output, _pigrid_v1_ClusterStatusResponse__Output>
  Get: MethodDefinition<_pigrid_v1_GetRequest, _pigrid_v1_Calculation, _pigrid_v1_GetRequest__Output, _pigrid_v1_Calculation__Output>
  List: MethodDefinition<_pigrid_v1_ListRequest, _pigrid_v1_ListResponse, _pigrid_v1_ListRequest__Output, _pigrid_v1_ListResponse__Output>
  Submit: MethodDefinition<_pigrid_v1_SubmitRequest, _pigrid_v1_Calculation, _pigrid_v1_SubmitRequest__Output, _pigrid_v1_Calculation__Output>
  Watch: MethodDefinition<_pigrid_v1_WatchRequest, _pigrid_v1_Calculation, _pigrid_v1_WatchRequest__Output, _pigrid_v1_Calculation__Output>
}
