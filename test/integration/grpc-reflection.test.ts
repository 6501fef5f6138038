/**
 * Every gRPC server serves reflection and grpc.health.v1, so grpcurl works with no proto files: list, describe,
 * and a JSON Submit/Get. Health: overall and "readiness". What reflection serves is the proto files as written
 * (file names, snake_case fields, proto3 optionals), checked against an independent reading of proto/ and, when
 * protoc is installed, byte for byte against protoc's descriptor set.
 */
import * as grpc from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRoot } from '../../shared/paths.js';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { stopAll } from '../../harness/processes.js';
import { describeSymbol, fileDescriptors, invokeJson, listServices } from '../../harness/reflection-client.js';
import { until } from '../../harness/rest.js';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster({ workers: 1, gateway: false });
});
afterAll(stopAll);

describe('grpcurl-style access without proto files', () => {
  it('lists the services of the coordinator and of a worker', async () => {
    expect(await listServices(c.grpc)).toEqual(['grpc.health.v1.Health', 'pigrid.v1.Calculations']);
    expect(await listServices(c.workers[0].ready.grpc)).toEqual(['grpc.health.v1.Health', 'pigrid.v1.Worker']);
  });

  it('describes the Calculations service with its documented methods and fields', async () => {
    const root = await describeSymbol(c.grpc, 'pigrid.v1.Calculations');
    const svc = root.lookupService('pigrid.v1.Calculations');
    expect(Object.keys(svc.methods).sort()).toEqual(['Cancel', 'ClusterStatus', 'Get', 'List', 'Submit', 'Watch']);
    expect(svc.methods.Watch.responseStream).toBe(true);
    const calc = root.lookupType('pigrid.v1.Calculation');
    expect(Object.keys(calc.fields)).toEqual(expect.arrayContaining(['points', 'points_done', 'result_pi', 'std_error', 'seed']));
  });

  it('submits and gets a calculation with JSON, like grpcurl -d', async () => {
    const submitted = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Submit', { points: '5000000', mode: 'MODE_SINGLE', seed: '42' });
    expect(submitted.error).toBeUndefined();
    const id = submitted.value!.id as string;
    const done = await until('completion', async () => {
      const got = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Get', { id });
      return got.value?.status === 'STATUS_COMPLETED' ? got.value : undefined;
    });
    expect(done.points).toBe('5000000');
    expect(done.seed).toBe('42');
    expect(typeof done.result_pi).toBe('number');
    const bad = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Submit', { points: '-1' });
    expect(bad.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('reports health overall and readiness on both kinds of server', async () => {
    for (const address of [c.grpc, c.workers[0].ready.grpc]) {
      for (const service of ['', 'readiness']) {
        const r = await invokeJson(address, 'grpc.health.v1.Health/Check', { service });
        expect(r.value?.status).toBe('SERVING');
      }
    }
  });
});

/** A field as declared in a .proto file, read with a regular expression (no protobuf library involved). */
interface DeclaredField {
  message: string;
  name: string;
  number: number;
  type: string;
  label: 'optional' | 'repeated' | '';
  oneof?: string;
}

/** Every field, enum value and rpc of a pigrid .proto file (flat messages and oneof blocks, which is all they use). */
function readProtoFile(text: string): { pkg: string; fields: DeclaredField[]; enums: Record<string, [string, number][]>; rpcs: string[] } {
  const lines = text
    .replace(/\/\/.*$/gm, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stack: { kind: string; name: string }[] = [];
  const out = { pkg: '', fields: [] as DeclaredField[], enums: {} as Record<string, [string, number][]>, rpcs: [] as string[] };
  for (const line of lines) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^package ([\w.]+);/))) out.pkg = m[1];
    else if ((m = line.match(/^(message|enum|service|oneof) (\w+) \{(\})?$/))) {
      if (m[1] === 'enum') out.enums[m[2]] = [];
      if (!m[3]) stack.push({ kind: m[1], name: m[2] });
    } else if (line === '}') stack.pop();
    else if ((m = line.match(/^rpc (\w+)\((stream )?(\w+)\) returns \((stream )?(\w+)\);$/)))
      out.rpcs.push(`${m[1]}(${m[2] ?? ''}${m[3]}) returns (${m[4] ?? ''}${m[5]})`);
    else if ((m = line.match(/^(\w+) = (\d+);$/)) && stack.at(-1)?.kind === 'enum')
      out.enums[stack.at(-1)!.name].push([m[1], Number(m[2])]);
    else if ((m = line.match(/^(optional |repeated )?([\w.]+) (\w+) = (\d+);$/))) {
      const oneof = stack.at(-1)?.kind === 'oneof' ? stack.at(-1)!.name : undefined;
      const message = stack.filter((s) => s.kind === 'message').at(-1)!.name;
      out.fields.push({
        message,
        name: m[3],
        number: Number(m[4]),
        type: m[2],
        label: (m[1]?.trim() ?? '') as DeclaredField['label'],
        oneof,
      });
    } else if (!/^(syntax|option) /.test(line)) throw new Error(`test reader does not understand: ${line}`);
  }
  return out;
}

const FileDescriptorProto = (descriptor as unknown as { FileDescriptorProto: protobuf.Type }).FileDescriptorProto;
const decode = (b: Uint8Array) =>
  FileDescriptorProto.toObject(FileDescriptorProto.decode(b), { enums: Number, longs: Number, arrays: true }) as any;
const SCALARS: Record<number, string> = { 1: 'double', 3: 'int64', 5: 'int32', 8: 'bool', 9: 'string' };

describe('reflection serves the proto files as written', () => {
  for (const [file, server] of [
    ['calculations', () => c.grpc],
    ['worker', () => c.workers[0].ready.grpc],
  ] as const) {
    it(`pigrid/v1/${file}.proto: file name, package, snake_case fields, proto3 optionals, enums and rpcs`, async () => {
      const name = `pigrid/v1/${file}.proto`;
      const [served, ...deps] = (await fileDescriptors(server(), { filename: name })).map(decode);
      expect(deps).toEqual([]); // self-contained
      const symbol = file === 'calculations' ? 'pigrid.v1.Calculations' : 'pigrid.v1.Worker';
      expect(decode((await fileDescriptors(server(), { symbol }))[0]).name).toBe(name);
      const text = readFileSync(join(appRoot(), 'proto', 'pigrid', 'v1', `${file}.proto`), 'utf8');
      const declared = readProtoFile(text);
      expect(served.syntax).toBe('proto3');
      expect(served.package).toBe(declared.pkg);
      const servedFields = served.messageType.flatMap((m: any) =>
        m.field.map((f: any) => {
          const oneof = f.oneofIndex === undefined ? undefined : m.oneofDecl[f.oneofIndex].name;
          return {
            message: m.name,
            name: f.name,
            number: f.number,
            type: f.typeName ? f.typeName.replace(/^\.pigrid\.v1\./, '') : SCALARS[f.type],
            label: f.label === 3 ? 'repeated' : f.proto3Optional ? 'optional' : '',
            oneof: f.proto3Optional ? (expect(oneof).toBe(`_${f.name}`), undefined) : oneof,
            jsonName: f.jsonName,
          };
        }),
      );
      expect(servedFields.map(({ jsonName: _j, ...f }: any) => f)).toEqual(declared.fields.map((f) => ({ ...f, oneof: f.oneof })));
      for (const f of servedFields) expect(f.jsonName).toBe(f.name.replace(/_(\w)/g, (_m: string, ch: string) => ch.toUpperCase()));
      // proto3 optionals come after the real oneofs, as protoc orders them.
      for (const m of served.messageType) {
        const synthetic = m.oneofDecl.map((o: any) => o.name.startsWith('_'));
        expect(synthetic).toEqual([...synthetic].sort((a, b) => Number(a) - Number(b)));
      }
      expect(Object.fromEntries(served.enumType.map((e: any) => [e.name, e.value.map((v: any) => [v.name, v.number ?? 0])]))).toEqual(
        declared.enums,
      );
      expect(
        served.service.flatMap((s: any) =>
          s.method.map(
            (m: any) =>
              `${m.name}(${m.clientStreaming ? 'stream ' : ''}${m.inputType.replace('.pigrid.v1.', '')}) returns (${m.serverStreaming ? 'stream ' : ''}${m.outputType.replace('.pigrid.v1.', '')})`,
          ),
        ),
      ).toEqual(declared.rpcs);
    });
  }

  const protoc = (() => {
    try {
      execFileSync('protoc', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!protoc)(
    `is byte for byte what protoc compiles from proto/${protoc ? '' : ' (SKIPPED: protoc is not on PATH; apt-get install protobuf-compiler)'}`,
    async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'pigrid-protoc-')), 'set.pb');
      for (const [file, server] of [
        ['calculations', c.grpc],
        ['worker', c.workers[0].ready.grpc],
      ] as const) {
        execFileSync('protoc', ['-I', join(appRoot(), 'proto'), `--descriptor_set_out=${out}`, `pigrid/v1/${file}.proto`]);
        const set = (descriptor as any).FileDescriptorSet.decode(readFileSync(out));
        const expected = Buffer.from(FileDescriptorProto.encode(set.file[0]).finish());
        const [served] = await fileDescriptors(server, { filename: `pigrid/v1/${file}.proto` });
        expect(Buffer.from(served).equals(expected)).toBe(true);
      }
    },
  );

  it('grpc/health/v1/health.proto is served under its canonical name', async () => {
    const [health] = (await fileDescriptors(c.grpc, { symbol: 'grpc.health.v1.Health' })).map(decode);
    expect(health.name).toBe('grpc/health/v1/health.proto');
    expect(health.messageType.find((m: any) => m.name === 'HealthListResponse').nestedType[0]).toMatchObject({
      name: 'StatusesEntry',
      options: { mapEntry: true },
    });
  });

  it('a request written from the proto file works: {"points":"1000000","chunk_size":"100000"}', async () => {
    const submitted = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Submit', { points: '1000000', chunk_size: '100000' });
    expect(submitted.error).toBeUndefined();
    expect(submitted.value).toMatchObject({ chunk_size: '100000', chunk_count: '10', points: '1000000' });
    const id = submitted.value!.id as string;
    const done = await until('completion', async () => {
      const got = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Get', { id });
      return got.value?.status === 'STATUS_COMPLETED' ? got.value : undefined;
    });
    expect(done).toMatchObject({ chunks_done: '10', points_done: '1000000' });
    // The server's own messages name fields the way the file does.
    const bad = await invokeJson(c.grpc, 'pigrid.v1.Calculations/Submit', { points: '1000000', chunk_size: '5' });
    expect(bad.error?.details).toMatch(/chunk_size must be/);
  });
});
