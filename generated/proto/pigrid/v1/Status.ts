// Original file: proto/pigrid/v1/calculations.proto

export const Status = {
  STATUS_UNSPECIFIED: 'STATUS_UNSPECIFIED',
  STATUS_QUEUED: 'STATUS_QUEUED',
  STATUS_RUNNING: 'STATUS_RUNNING',
  STATUS_COMPLETED: 'STATUS_COMPLETED',
  STATUS_FAILED: 'STATUS_FAILED',
  STATUS_CANCELLED: 'STATUS_CANCELLED',
} as const;

export type Status =
  | 'STATUS_UNSPECIFIED'
  | 0
  | 'STATUS_QUEUED'
  | 1
  | 'STATUS_RUNNING'
  | 2
  | 'STATUS_COMPLETED'
  | 3
  | 'STATUS_FAILED'
  | 4
  | 'STATUS_CANCELLED'
  | 5

export type Status__Output = typeof Status[keyof typeof Status]
