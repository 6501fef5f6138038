/**
 * What `grpcurl -plaintext host:port list|describe|<method>` does, with no proto files: asks the server's
 * reflection service for its services and file descriptors, builds the message types from them, and makes a
 * JSON-in, JSON-out unary call. Used to prove that grpcurl users can work with pigrid servers.
 */
import * as grpc from '@grpc/grpc-js';
import { clientCredentials } from './tls.js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import 'protobufjs/ext/descriptor/index.js';

const require = createRequire(import.meta.url);
const reflectionProto = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

async function reflectionStub(
  address: string,
): Promise<grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse> }> {
  const def = protoLoader.loadSync(reflectionProto, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  return new pkg.grpc.reflection.v1.ServerReflection(address, await clientCredentials());
}

async function ask(address: string, request: object): Promise<ReflectionResponse> {
  const stub = await reflectionStub(address);
  try {
    return await new Promise((resolve, reject) => {
      const call = stub.ServerReflectionInfo();
      call.on('data', (r: ReflectionResponse) => {
        resolve(r);
        call.end();
      });
      call.on('error', reject);
      call.write(request);
    });
  } finally {
    stub.close();
  }
}

/** `grpcurl list`: the fully-qualified service names. */
export async function listServices(address: string): Promise<string[]> {
  const r = await ask(address, { listServices: '' });
  return (r.listServicesResponse?.service ?? []).map((s) => s.name).sort();
}

/**
 * The encoded FileDescriptorProtos the server sends for a symbol (`grpcurl describe`) or a file name (how grpcurl
 * fetches the dependencies of a file): the asked-for file first, then its imports.
 */
export async function fileDescriptors(address: string, request: { symbol: string } | { filename: string }): Promise<Buffer[]> {
  const r = await ask(address, 'symbol' in request ? { fileContainingSymbol: request.symbol } : { fileByFilename: request.filename });
  if (r.errorResponse) throw new Error(`reflection error ${r.errorResponse.errorCode}: ${r.errorResponse.errorMessage}`);
  return r.fileDescriptorResponse!.fileDescriptorProto;
}

/** The protobufjs root of the file that defines `symbol`, built only from what the server sent. */
export async function describeSymbol(address: string, symbol: string): Promise<protobuf.Root> {
  const FileDescriptorProto = (protobuf as any).descriptor.FileDescriptorProto;
  const files = (await fileDescriptors(address, { symbol })).map((b) => FileDescriptorProto.decode(b));
  return (protobuf.Root as any).fromDescriptor({ file: files }) as protobuf.Root;
}

/** `grpcurl -d '<json>' host:port pkg.Service/Method` for a unary method, request and answer as JSON objects. */
export async function invokeJson(
  address: string,
  fullMethod: string,
  json: object,
): Promise<{ value?: Record<string, unknown>; error?: grpc.ServiceError }> {
  const [service, method] = fullMethod.split('/');
  const root = await describeSymbol(address, service);
  const svc = root.lookupService(service);
  const m = svc.methods[method].resolve() as protobuf.Method;
  const Req = m.resolvedRequestType!;
  const Res = m.resolvedResponseType!;
  const client = new grpc.Client(address, await clientCredentials());
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(
        `/${service}/${method}`,
        (v: object) => Buffer.from(Req.encode(Req.fromObject(v)).finish()),
        (b: Buffer) => Res.toObject(Res.decode(b), { longs: String, enums: String, defaults: true }),
        json,
        (err, value) => resolve(err ? { error: err } : { value: value as Record<string, unknown> }),
      );
    });
  } finally {
    client.close();
  }
}
