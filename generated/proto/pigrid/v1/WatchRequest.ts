// Original file: proto/pigrid/v1/calculations.proto


export interface WatchRequest {
  'id'?: (string);
}

export interface WatchRequest__Output {
  'id': (string);
}
