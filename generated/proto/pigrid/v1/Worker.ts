// Original file: proto/pigrid/v1/worker.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CoordinatorMessage as _pigrid_v1_CoordinatorMessage, CoordinatorMessage__Output as _pigrid_v1_CoordinatorMessage__Output } from '../../pigrid/v1/CoordinatorMessage.js';
import type { WorkerMessage as _pigrid_v1_WorkerMessage, WorkerMessage__Output as _pigrid_v1_WorkerMessage__Output } from '../../pigrid/v1/WorkerMessage.js';

export interface WorkerClient extends grpc.Client {
  Work(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pigrid_v1_CoordinatorMessage, _pigrid_v1_WorkerMessage__Output>;
  Work(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pigrid_v1_CoordinatorMessage, _pigrid_v1_WorkerMessage__Output>;
  work(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_pigrid_v1_CoordinatorMessage, _pigrid_v1_WorkerMessage__Output>;
  work(options?: grpc.CallOptions): grpc.ClientDuplexStream<_pigrid_v1_CoordinatorMessage, _pigrid_v1_WorkerMessage__Output>;
  
}

export interface WorkerHandlers extends grpc.UntypedServiceImplementation {
  Work: grpc.handleBidiStreamingCall<_pigrid_v1_CoordinatorMessage__Output, _pigrid_v1_WorkerMessage>;
  
}

export interface WorkerDefinition extends grpc.ServiceDefinition {
  Work: MethodDefinition<_pigrid_v1_CoordinatorMessage, _pigrid_v1_WorkerMessage, _pigrid_v1_CoordinatorMessage__Output, _pigrid_v1_WorkerMessage__Output>
}
