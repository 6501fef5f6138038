// Original file: proto/pigrid/v1/calculations.proto


export interface GetRequest {
  'id'?: (string);
}

export interface GetRequest__Output {
  'id': (string);
}
