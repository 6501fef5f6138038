/**
 * The narrow interfaces the core needs from the outside world. Adapters implement them; tests pass fakes.
 */

/** Milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** Fresh unique ids for calculations and leases. */
export interface IdSource {
  calculationId(): string;
  leaseId(): string;
}

/** Seeds for calculations submitted without one: 0 .. 2^53 - 1. */
export interface SeedSource {
  seed(): number;
}
