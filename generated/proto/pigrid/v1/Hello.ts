// Original file: proto/pigrid/v1/worker.proto


export interface Hello {
  'workerId'?: (string);
  'capacity'?: (number);
  'kernel'?: (string);
  'version'?: (string);
  'draining'?: (boolean);
  'streamVersion'?: (string);
  'instanceId'?: (string);
  'acceptsLeaseBatches'?: (boolean);
  'acceptsChunkSpans'?: (boolean);
}

export interface Hello__Output {
  'workerId': (string);
  'capacity': (number);
  'kernel': (string);
  'version': (string);
  'draining': (boolean);
  'streamVersion': (string);
  'instanceId': (string);
  'acceptsLeaseBatches': (boolean);
  'acceptsChunkSpans': (boolean);
}
