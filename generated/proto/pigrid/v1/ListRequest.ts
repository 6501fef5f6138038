// Original file: proto/pigrid/v1/calculations.proto


export interface ListRequest {
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ListRequest__Output {
  'pageSize': (number);
  'pageToken': (string);
}
