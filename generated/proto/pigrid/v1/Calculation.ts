// Original file: proto/pigrid/v1/calculations.proto

import type { Status as _pigrid_v1_Status, Status__Output as _pigrid_v1_Status__Output } from '../../pigrid/v1/Status.js';
import type { Mode as _pigrid_v1_Mode, Mode__Output as _pigrid_v1_Mode__Output } from '../../pigrid/v1/Mode.js';
import type { VerifierCount as _pigrid_v1_VerifierCount, VerifierCount__Output as _pigrid_v1_VerifierCount__Output } from '../../pigrid/v1/VerifierCount.js';
import type { Long } from '@grpc/proto-loader';

export interface Calculation {
  'id'?: (string);
  'status'?: (_pigrid_v1_Status);
  'mode'?: (_pigrid_v1_Mode);
  'points'?: (number | string | Long);
  'pointsDone'?: (number | string | Long);
  'progress'?: (number | string);
  'inside'?: (number | string | Long);
  'resultPi'?: (number | string);
  'stdError'?: (number | string);
  'seed'?: (number | string | Long);
  'chunkSize'?: (number | string | Long);
  'chunkCount'?: (number | string | Long);
  'chunksDone'?: (number | string | Long);
  'createdAtMs'?: (number | string | Long);
  'startedAtMs'?: (number | string | Long);
  'finishedAtMs'?: (number | string | Long);
  'durationMs'?: (number | string | Long);
  'error'?: (string);
  'errorCode'?: (string);
  'chunksReleased'?: (number | string | Long);
  'duplicateResults'?: (number | string | Long);
  'chunksVerified'?: (number | string | Long);
  'chunksRecomputed'?: (number | string | Long);
  'verifiedBy'?: (_pigrid_v1_VerifierCount)[];
  '_resultPi'?: "resultPi";
  '_stdError'?: "stdError";
  '_startedAtMs'?: "startedAtMs";
  '_finishedAtMs'?: "finishedAtMs";
  '_durationMs'?: "durationMs";
}

export interface Calculation__Output {
  'id': (string);
  'status': (_pigrid_v1_Status__Output);
  'mode': (_pigrid_v1_Mode__Output);
  'points': (string);
  'pointsDone': (string);
  'progress': (number);
  'inside': (string);
  'resultPi'?: (number);
  'stdError'?: (number);
  'seed': (string);
  'chunkSize': (string);
  'chunkCount': (string);
  'chunksDone': (string);
  'createdAtMs': (string);
  'startedAtMs'?: (string);
  'finishedAtMs'?: (string);
  'durationMs'?: (string);
  'error': (string);
  'errorCode': (string);
  'chunksReleased': (string);
  'duplicateResults': (string);
  'chunksVerified': (string);
  'chunksRecomputed': (string);
  'verifiedBy': (_pigrid_v1_VerifierCount__Output)[];
  '_resultPi'?: "resultPi";
  '_stdError'?: "stdError";
  '_startedAtMs'?: "startedAtMs";
  '_finishedAtMs'?: "finishedAtMs";
  '_durationMs'?: "durationMs";
}
