// Bridges protobuf-es service descriptors to @grpc/grpc-js: the generated schemas do the
// (de)serialization, so no protobuf encoding is written by hand and every service, ours or
// Envoy's, is served and called the same way.
import {
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { type Client, makeGenericClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';

function toBuffer(bytes: Uint8Array): Buffer {
  // A view, not a copy: toBinary's result is not reused by protobuf-es.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function methodDefinition(service: DescService, m: DescMethod) {
  return {
    path: `/${service.typeName}/${m.name}`,
    requestStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
    responseStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
    requestSerialize: (msg: MessageShape<typeof m.input>) => toBuffer(toBinary(m.input, msg)),
    requestDeserialize: (buf: Buffer) => fromBinary(m.input, buf),
    responseSerialize: (msg: MessageShape<typeof m.output>) => toBuffer(toBinary(m.output, msg)),
    responseDeserialize: (buf: Buffer) => fromBinary(m.output, buf),
    originalName: m.localName,
  };
}

/** A grpc-js ServiceDefinition keyed by each method's localName (camelCase). */
export function serviceDefinition(service: DescService): ServiceDefinition {
  const def: Record<string, ReturnType<typeof methodDefinition>> = {};
  for (const m of service.methods) def[m.localName] = methodDefinition(service, m);
  return def as unknown as ServiceDefinition;
}

/** A grpc-js client class for a protobuf-es service (methods by localName). */
export function clientConstructor(
  service: DescService,
): new (
  address: string,
  credentials: import('@grpc/grpc-js').ChannelCredentials,
  options?: import('@grpc/grpc-js').ChannelOptions,
) => Client {
  return makeGenericClientConstructor(serviceDefinition(service), service.typeName) as never;
}
