// Original file: proto/pigrid/v1/worker.proto


export interface Heartbeat {
  'leaseIds'?: (string)[];
}

export interface Heartbeat__Output {
  'leaseIds': (string)[];
}
