// grpc-js service definitions from protobuf-es service descriptors: each method's path is
// /<package.Service>/<Method>, and messages are (de)serialized by protobuf-es, so no
// protobuf encoding is written by hand. Works for servers and for clients
// (makeGenericClientConstructor).
import { type DescService, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** A Buffer over the same memory (grpc-js wants Buffers; Buffer.from(u8) would copy). */
function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const m of service.methods) {
    def[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      originalName: m.name,
      requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
      responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      requestSerialize: (v) => asBuffer(toBinary(m.input, v as never)),
      requestDeserialize: (b: Buffer) => fromBinary(m.input, b),
      responseSerialize: (v) => asBuffer(toBinary(m.output, v as never)),
      responseDeserialize: (b: Buffer) => fromBinary(m.output, b),
    };
  }
  return def;
}
