/**
 * A typed gRPC client of the Calculations API for tests, plus promise helpers.
 */
import * as grpc from '@grpc/grpc-js';
import type { Calculation__Output } from '../generated/proto/pigrid/v1/Calculation.js';
import type { CalculationsClient } from '../generated/proto/pigrid/v1/Calculations.js';
import { loadContract } from '../shared/proto.js';
import { clientCredentials } from './tls.js';

/** A Calculations client with a test client certificate (or the given credentials). */
export async function calculationsClient(address: string, credentials?: grpc.ChannelCredentials): Promise<CalculationsClient> {
  const Ctor = loadContract().calculations.pigrid.v1.Calculations;
  return new Ctor(address, credentials ?? (await clientCredentials()));
}

/** Calls a unary method, e.g. `unary((cb) => client.Get({ id }, cb))`, and resolves with {value} or {error}. */
export function unary<Res>(
  call: (cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown,
): Promise<{ value?: Res; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    call((err, res) => resolve(err ? { error: err } : { value: res }));
  });
}

export type { Calculation__Output };
