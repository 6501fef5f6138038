// Original file: proto/pigrid/v1/calculations.proto

import type { Mode as _pigrid_v1_Mode, Mode__Output as _pigrid_v1_Mode__Output } from '../../pigrid/v1/Mode.js';
import type { Long } from '@grpc/proto-loader';

export interface SubmitRequest {
  'points'?: (number | string | Long);
  'mode'?: (_pigrid_v1_Mode);
  'seed'?: (number | string | Long);
  'chunkSize'?: (number | string | Long);
  '_points'?: "points";
  '_seed'?: "seed";
  '_chunkSize'?: "chunkSize";
}

export interface SubmitRequest__Output {
  'points'?: (string);
  'mode': (_pigrid_v1_Mode__Output);
  'seed'?: (string);
  'chunkSize'?: (string);
  '_points'?: "points";
  '_seed'?: "seed";
  '_chunkSize'?: "chunkSize";
}
