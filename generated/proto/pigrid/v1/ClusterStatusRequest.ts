// Original file: proto/pigrid/v1/calculations.proto


export interface ClusterStatusRequest {
}

export interface ClusterStatusRequest__Output {
}
