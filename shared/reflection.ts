/**
 * Server reflection that serves the proto files as written (see proto-descriptors.ts): each pigrid server describes
 * its own service file (`pigrid/v1/calculations.proto` or `pigrid/v1/worker.proto`) and `grpc/health/v1/health.proto`.
 * @grpc/reflection answers the requests (v1 and v1alpha); we only hand it the descriptors.
 */
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { encodeFileDescriptor, fileDescriptorObject, type ProtoSource } from './proto-descriptors.js';
import { protoFiles } from './proto.js';

/** The proto files a server of `service` describes, under the names a client imports them by. */
export function reflectionSources(service: 'calculations' | 'worker'): ProtoSource[] {
  return [
    { name: `pigrid/v1/${service}.proto`, path: protoFiles()[service] },
    { name: 'grpc/health/v1/health.proto', path: healthProtoPath },
  ];
}

const cache = new Map<string, Uint8Array[]>();

/** Encoded FileDescriptorProtos of a server's files (parsed once per process). */
export function reflectionDescriptors(service: 'calculations' | 'worker'): Uint8Array[] {
  let files = cache.get(service);
  if (!files) {
    files = reflectionSources(service).map((s) => encodeFileDescriptor(fileDescriptorObject(s)));
    cache.set(service, files);
  }
  return files;
}

/** A reflection service for a pigrid server; `addToServer` it. */
export function reflectionService(service: 'calculations' | 'worker'): ReflectionService {
  // @grpc/reflection reads only `fileDescriptorProtos` of each entry of a package definition.
  const definition = { files: { fileDescriptorProtos: reflectionDescriptors(service) } };
  return new ReflectionService(definition as unknown as ConstructorParameters<typeof ReflectionService>[0]);
}
