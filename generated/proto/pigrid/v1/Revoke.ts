// Original file: proto/pigrid/v1/worker.proto


export interface Revoke {
  'leaseIds'?: (string)[];
  'reason'?: (string);
}

export interface Revoke__Output {
  'leaseIds': (string)[];
  'reason': (string);
}
