// Original file: proto/pigrid/v1/calculations.proto

import type { Calculation as _pigrid_v1_Calculation, Calculation__Output as _pigrid_v1_Calculation__Output } from '../../pigrid/v1/Calculation.js';

export interface ListResponse {
  'calculations'?: (_pigrid_v1_Calculation)[];
  'nextPageToken'?: (string);
}

export interface ListResponse__Output {
  'calculations': (_pigrid_v1_Calculation__Output)[];
  'nextPageToken': (string);
}
