import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ChunkFailure as _pigrid_v1_ChunkFailure, ChunkFailure__Output as _pigrid_v1_ChunkFailure__Output } from './pigrid/v1/ChunkFailure.js';
import type { ChunkResult as _pigrid_v1_ChunkResult, ChunkResult__Output as _pigrid_v1_ChunkResult__Output } from './pigrid/v1/ChunkResult.js';
import type { CoordinatorMessage as _pigrid_v1_CoordinatorMessage, CoordinatorMessage__Output as _pigrid_v1_CoordinatorMessage__Output } from './pigrid/v1/CoordinatorMessage.js';
import type { Draining as _pigrid_v1_Draining, Draining__Output as _pigrid_v1_Draining__Output } from './pigrid/v1/Draining.js';
import type { Heartbeat as _pigrid_v1_Heartbeat, Heartbeat__Output as _pigrid_v1_Heartbeat__Output } from './pigrid/v1/Heartbeat.js';
import type { Hello as _pigrid_v1_Hello, Hello__Output as _pigrid_v1_Hello__Output } from './pigrid/v1/Hello.js';
import type { Lease as _pigrid_v1_Lease, Lease__Output as _pigrid_v1_Lease__Output } from './pigrid/v1/Lease.js';
import type { LeaseBatch as _pigrid_v1_LeaseBatch, LeaseBatch__Output as _pigrid_v1_LeaseBatch__Output } from './pigrid/v1/LeaseBatch.js';
import type { ResultBatch as _pigrid_v1_ResultBatch, ResultBatch__Output as _pigrid_v1_ResultBatch__Output } from './pigrid/v1/ResultBatch.js';
import type { Revoke as _pigrid_v1_Revoke, Revoke__Output as _pigrid_v1_Revoke__Output } from './pigrid/v1/Revoke.js';
import type { WorkerClient as _pigrid_v1_WorkerClient, WorkerDefinition as _pigrid_v1_WorkerDefinition } from './pigrid/v1/Worker.js';
import type { WorkerMessage as _pigrid_v1_WorkerMessage, WorkerMessage__Output as _pigrid_v1_WorkerMessage__Output } from './pigrid/v1/WorkerMessage.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  pigrid: {
    v1: {
      ChunkFailure: MessageTypeDefinition<_pigrid_v1_ChunkFailure, _pigrid_v1_ChunkFailure__Output>
      ChunkResult: MessageTypeDefinition<_pigrid_v1_ChunkResult, _pigrid_v1_ChunkResult__Output>
      CoordinatorMessage: MessageTypeDefinition<_pigrid_v1_CoordinatorMessage, _pigrid_v1_CoordinatorMessage__Output>
      Draining: MessageTypeDefinition<_pigrid_v1_Draining, _pigrid_v1_Draining__Output>
      Heartbeat: MessageTypeDefinition<_pigrid_v1_Heartbeat, _pigrid_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_pigrid_v1_Hello, _pigrid_v1_Hello__Output>
      Lease: MessageTypeDefinition<_pigrid_v1_Lease, _pigrid_v1_Lease__Output>
      LeaseBatch: MessageTypeDefinition<_pigrid_v1_LeaseBatch, _pigrid_v1_LeaseBatch__Output>
      ResultBatch: MessageTypeDefinition<_pigrid_v1_ResultBatch, _pigrid_v1_ResultBatch__Output>
      Revoke: MessageTypeDefinition<_pigrid_v1_Revoke, _pigrid_v1_Revoke__Output>
      Worker: SubtypeConstructor<typeof grpc.Client, _pigrid_v1_WorkerClient> & { service: _pigrid_v1_WorkerDefinition }
      WorkerMessage: MessageTypeDefinition<_pigrid_v1_WorkerMessage, _pigrid_v1_WorkerMessage__Output>
    }
  }
}

