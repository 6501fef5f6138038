/**
 * Loads the pigrid.v1 contract at run time with @grpc/proto-loader. The options must match those the generated
 * types in generated/proto were made with (scripts/gen-proto.mjs): int64 as decimal strings, enums as names.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import type { ProtoGrpcType as CalculationsProto } from '../generated/proto/calculations.js';
import type { ProtoGrpcType as WorkerProto } from '../generated/proto/worker.js';
import { appRoot } from './paths.js';

export const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

export function protoFiles(): { calculations: string; worker: string } {
  const dir = join(appRoot(), 'proto', 'pigrid', 'v1');
  return { calculations: join(dir, 'calculations.proto'), worker: join(dir, 'worker.proto') };
}

let cached: { calculations: CalculationsProto; worker: WorkerProto } | undefined;

/** Typed handles of both pigrid.v1 services (service definitions for servers, constructors for clients). */
export function loadContract(): NonNullable<typeof cached> {
  if (cached) return cached;
  const files = protoFiles();
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync([files.calculations, files.worker], LOADER_OPTIONS)) as unknown;
  cached = { calculations: loaded as CalculationsProto, worker: loaded as WorkerProto };
  return cached;
}
