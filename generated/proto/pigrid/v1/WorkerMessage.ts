// Original file: proto/pigrid/v1/worker.proto

import type { Hello as _pigrid_v1_Hello, Hello__Output as _pigrid_v1_Hello__Output } from '../../pigrid/v1/Hello.js';
import type { ChunkResult as _pigrid_v1_ChunkResult, ChunkResult__Output as _pigrid_v1_ChunkResult__Output } from '../../pigrid/v1/ChunkResult.js';
import type { Heartbeat as _pigrid_v1_Heartbeat, Heartbeat__Output as _pigrid_v1_Heartbeat__Output } from '../../pigrid/v1/Heartbeat.js';
import type { Draining as _pigrid_v1_Draining, Draining__Output as _pigrid_v1_Draining__Output } from '../../pigrid/v1/Draining.js';
import type { ChunkFailure as _pigrid_v1_ChunkFailure, ChunkFailure__Output as _pigrid_v1_ChunkFailure__Output } from '../../pigrid/v1/ChunkFailure.js';
import type { ResultBatch as _pigrid_v1_ResultBatch, ResultBatch__Output as _pigrid_v1_ResultBatch__Output } from '../../pigrid/v1/ResultBatch.js';

export interface WorkerMessage {
  'hello'?: (_pigrid_v1_Hello | null);
  'result'?: (_pigrid_v1_ChunkResult | null);
  'heartbeat'?: (_pigrid_v1_Heartbeat | null);
  'draining'?: (_pigrid_v1_Draining | null);
  'failure'?: (_pigrid_v1_ChunkFailure | null);
  'results'?: (_pigrid_v1_ResultBatch | null);
  'kind'?: "hello"|"result"|"heartbeat"|"draining"|"failure"|"results";
}

export interface WorkerMessage__Output {
  'hello'?: (_pigrid_v1_Hello__Output | null);
  'result'?: (_pigrid_v1_ChunkResult__Output | null);
  'heartbeat'?: (_pigrid_v1_Heartbeat__Output | null);
  'draining'?: (_pigrid_v1_Draining__Output | null);
  'failure'?: (_pigrid_v1_ChunkFailure__Output | null);
  'results'?: (_pigrid_v1_ResultBatch__Output | null);
  'kind'?: "hello"|"result"|"heartbeat"|"draining"|"failure"|"results";
}
