// Original file: proto/pigrid/v1/calculations.proto


export interface CancelRequest {
  'id'?: (string);
}

export interface CancelRequest__Output {
  'id': (string);
}
