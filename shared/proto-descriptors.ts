/**
 * FileDescriptorProtos built from the .proto files as written, for server reflection: the file names a client
 * imports (`pigrid/v1/calculations.proto`), snake_case field names with protoc's json_name beside them, proto3
 * `optional` fields as proto3 optionals (a synthetic oneof after the real ones, `proto3_optional` set), fully
 * qualified type references. This is what protoc puts in a descriptor set, so grpcurl and other reflection clients
 * see the schema a reader of proto/ sees, and a request written from the file (`{"chunk_size": "100000"}`) works.
 *
 * (@grpc/proto-loader's descriptors, which reflection used before, merge a package into one `pigrid_v1.proto`,
 * camelCase the names and drop the proto3-optional marks.)
 *
 * The files are parsed with protobufjs (`keepCase`); each file must be self-contained (no imports), which is true of
 * pigrid's and of grpc.health.v1.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import descriptorModule from 'protobufjs/ext/descriptor/index.js';

/** One .proto file: the name it is imported by (relative to its include root) and where it is on disk. */
export interface ProtoSource {
  readonly name: string;
  readonly path: string;
}

/** google.protobuf.FileDescriptorProto as a plain object (protobufjs field names, camelCase). */
export interface FileDescriptorObject {
  name: string;
  package: string;
  syntax: 'proto3';
  messageType: MessageObject[];
  enumType: EnumObject[];
  service: ServiceObject[];
  options?: Record<string, string | boolean>;
}
export interface FieldObject {
  name: string;
  number: number;
  label: 1 | 3;
  type: number;
  typeName?: string;
  jsonName: string;
  oneofIndex?: number;
  proto3Optional?: true;
}
export interface MessageObject {
  name: string;
  field: FieldObject[];
  nestedType: MessageObject[];
  enumType: EnumObject[];
  oneofDecl: { name: string }[];
  options?: { mapEntry: true };
}
export interface EnumObject {
  name: string;
  value: { name: string; number: number }[];
}
export interface ServiceObject {
  name: string;
  method: { name: string; inputType: string; outputType: string; clientStreaming?: true; serverStreaming?: true }[];
}

/** google.protobuf.FieldDescriptorProto.Type by .proto scalar name. */
const SCALAR_TYPES: Readonly<Record<string, number>> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_OPTIONAL = 1;
const LABEL_REPEATED = 3;

/** File options protoc knows, by their .proto name → FileOptions field (protobufjs names). */
const FILE_OPTIONS: Readonly<Record<string, string>> = {
  java_package: 'javaPackage',
  java_outer_classname: 'javaOuterClassname',
  java_multiple_files: 'javaMultipleFiles',
  go_package: 'goPackage',
  csharp_namespace: 'csharpNamespace',
  objc_class_prefix: 'objcClassPrefix',
  php_namespace: 'phpNamespace',
  ruby_package: 'rubyPackage',
};

/** protoc's json_name: underscores dropped, the letter after each one upper-cased. */
export function jsonName(fieldName: string): string {
  return fieldName.replace(/_+([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/_+$/, '');
}

/** The map entry message protoc generates for `map<K, V> field_name`: `FieldNameEntry`. */
function mapEntryName(fieldName: string): string {
  const camel = jsonName(fieldName);
  return camel.charAt(0).toUpperCase() + camel.slice(1) + 'Entry';
}

/** `.pkg.Type` for a resolved message or enum. */
function qualified(t: protobuf.ReflectionObject): string {
  return t.fullName.startsWith('.') ? t.fullName : `.${t.fullName}`;
}

function isSyntheticOneof(o: protobuf.OneOf): boolean {
  return o.fieldsArray.length === 1 && o.fieldsArray[0].options?.proto3_optional === true;
}

function typeOf(field: protobuf.Field, typeName: string, resolved: protobuf.ReflectionObject | null): { type: number; typeName?: string } {
  if (typeName in SCALAR_TYPES) return { type: SCALAR_TYPES[typeName] };
  if (resolved instanceof protobuf.Type) return { type: TYPE_MESSAGE, typeName: qualified(resolved) };
  if (resolved instanceof protobuf.Enum) return { type: TYPE_ENUM, typeName: qualified(resolved) };
  throw new Error(`field ${field.fullName}: cannot resolve type ${typeName}`);
}

function enumObject(e: protobuf.Enum): EnumObject {
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

function messageObject(type: protobuf.Type): MessageObject {
  const msg: MessageObject = { name: type.name, field: [], nestedType: [], enumType: [], oneofDecl: [] };
  // protoc: the oneofs declared in the file first, then one synthetic oneof per proto3 optional field, in field order.
  const real = type.oneofsArray.filter((o) => !isSyntheticOneof(o));
  const synthetic = type.fieldsArray.filter((f) => f.partOf && isSyntheticOneof(f.partOf)).map((f) => f.partOf!);
  const oneofs = [...real, ...synthetic];
  msg.oneofDecl = oneofs.map((o) => ({ name: o.name }));
  for (const field of type.fieldsArray) {
    field.resolve();
    const f: FieldObject = { name: field.name, number: field.id, label: LABEL_OPTIONAL, type: 0, jsonName: jsonName(field.name) };
    if (field instanceof protobuf.MapField) {
      const entry = mapEntryName(field.name);
      const key = typeOf(field, field.keyType, null);
      const value = typeOf(field, field.type, field.resolvedType);
      msg.nestedType.push({
        name: entry,
        field: [
          { name: 'key', number: 1, label: LABEL_OPTIONAL, jsonName: 'key', ...key },
          { name: 'value', number: 2, label: LABEL_OPTIONAL, jsonName: 'value', ...value },
        ],
        nestedType: [],
        enumType: [],
        oneofDecl: [],
        options: { mapEntry: true },
      });
      Object.assign(f, { label: LABEL_REPEATED, type: TYPE_MESSAGE, typeName: `${qualified(type)}.${entry}` });
    } else {
      Object.assign(f, typeOf(field, field.type, field.resolvedType));
      if (field.repeated) f.label = LABEL_REPEATED;
    }
    if (field.partOf) {
      f.oneofIndex = oneofs.indexOf(field.partOf);
      if (field.options?.proto3_optional === true) f.proto3Optional = true;
    }
    for (const opt of Object.keys(field.options ?? {})) {
      if (opt !== 'proto3_optional') throw new Error(`field ${field.fullName}: option ${opt} is not carried into the descriptor`);
    }
    msg.field.push(f);
  }
  for (const nested of type.nestedArray) {
    if (nested instanceof protobuf.Type) msg.nestedType.push(messageObject(nested));
    else if (nested instanceof protobuf.Enum) msg.enumType.push(enumObject(nested));
    else throw new Error(`${nested.fullName}: nested ${nested.constructor.name} is not supported`);
  }
  if (type.options && Object.keys(type.options).length > 0)
    throw new Error(`message ${type.fullName}: options are not carried into the descriptor`);
  return msg;
}

function serviceObject(svc: protobuf.Service): ServiceObject {
  return {
    name: svc.name,
    method: svc.methodsArray.map((m) => {
      m.resolve();
      return {
        name: m.name,
        inputType: qualified(m.resolvedRequestType!),
        outputType: qualified(m.resolvedResponseType!),
        ...(m.requestStream ? { clientStreaming: true as const } : {}),
        ...(m.responseStream ? { serverStreaming: true as const } : {}),
      };
    }),
  };
}

/** The FileDescriptorProto of one proto3 file, as protoc would describe it (without source comments). */
export function fileDescriptorObject(source: ProtoSource): FileDescriptorObject {
  const text = readFileSync(source.path, 'utf8');
  const parsed = protobuf.parse(text, new protobuf.Root(), { keepCase: true, alternateCommentMode: true });
  if (!/^\s*syntax\s*=\s*["']proto3["']\s*;/m.test(text)) throw new Error(`${source.name}: only proto3 files are supported`);
  if ((parsed.imports ?? []).length > 0 || (parsed.weakImports ?? []).length > 0) {
    throw new Error(`${source.name}: imports are not supported (every pigrid proto file is self-contained)`);
  }
  const pkg = parsed.package ?? '';
  parsed.root.resolveAll();
  const ns = (pkg ? parsed.root.lookup(pkg) : parsed.root) as protobuf.Namespace;
  const file: FileDescriptorObject = { name: source.name, package: pkg, syntax: 'proto3', messageType: [], enumType: [], service: [] };
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) file.messageType.push(messageObject(nested));
    else if (nested instanceof protobuf.Enum) file.enumType.push(enumObject(nested));
    else if (nested instanceof protobuf.Service) file.service.push(serviceObject(nested));
    else throw new Error(`${source.name}: ${nested.fullName} is neither a message, an enum nor a service`);
  }
  const options: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(ns.options ?? {})) {
    const field = FILE_OPTIONS[key];
    if (!field) throw new Error(`${source.name}: file option ${key} is not carried into the descriptor`);
    options[field] = value as string | boolean;
  }
  if (Object.keys(options).length > 0) file.options = options;
  return file;
}

interface DescriptorTypes {
  FileDescriptorProto: protobuf.Type;
}
const descriptor = descriptorModule as unknown as DescriptorTypes;

/** The wire encoding of {@link fileDescriptorObject}: what reflection sends. */
export function encodeFileDescriptor(file: FileDescriptorObject): Uint8Array {
  const T = descriptor.FileDescriptorProto;
  return T.encode(T.fromObject(file)).finish();
}

/** Decodes a FileDescriptorProto sent by a reflection server into a plain object (protobufjs names). */
export function decodeFileDescriptor(bytes: Uint8Array): Record<string, unknown> {
  const T = descriptor.FileDescriptorProto;
  return T.toObject(T.decode(bytes), { enums: Number, longs: Number, defaults: false, arrays: true });
}
