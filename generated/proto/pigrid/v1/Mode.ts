// Original file: proto/pigrid/v1/calculations.proto

export const Mode = {
  MODE_UNSPECIFIED: 'MODE_UNSPECIFIED',
  MODE_SINGLE: 'MODE_SINGLE',
  MODE_DISTRIBUTED: 'MODE_DISTRIBUTED',
} as const;

export type Mode =
  | 'MODE_UNSPECIFIED'
  | 0
  | 'MODE_SINGLE'
  | 1
  | 'MODE_DISTRIBUTED'
  | 2

export type Mode__Output = typeof Mode[keyof typeof Mode]
