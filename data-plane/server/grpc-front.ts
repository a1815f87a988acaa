// The gRPC server the pod's KServe and health services run on: grpc-js, or the pod's own
// node:http2 server (h2/server.ts, docs/DATAPLANE.md "gRPC transport"). Both take grpc-js
// service definitions and handlers; this is the part of grpc-js's Server the pod uses.
import type { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { OptionError } from '../../kernel/errors/index.js';
import { H2GrpcServer } from './h2/server.js';
import { keepaliveOf } from './keepalive-options.js';

export type GrpcTransport = 'h2' | 'grpc-js';
export const GRPC_TRANSPORTS: readonly GrpcTransport[] = ['grpc-js', 'h2'];

export interface GrpcFront {
  addService(service: grpc.ServiceDefinition, impl: grpc.UntypedServiceImplementation): void;
  bindAsync(
    address: string,
    credentials: grpc.ServerCredentials,
    cb: (err: Error | null, port: number) => void,
  ): void;
  createConnectionInjector(credentials: grpc.ServerCredentials): {
    injectConnection(connection: Duplex): void;
  };
  tryShutdown(cb: (err?: Error) => void): void;
  forceShutdown(): void;
}

/** The server class for `transport`, with grpc-js's receive limit and keepalive read from its options. */
export function grpcServerMaker(transport: GrpcTransport): (options: grpc.ServerOptions) => GrpcFront {
  if (transport === 'grpc-js') return (o) => new grpc.Server(o);
  return (o) =>
    new H2GrpcServer({
      maxReceiveBytes: Number(o['grpc.max_receive_message_length']),
      keepalive: keepaliveOf(o),
    });
}

/**
 * The transport a pod's gRPC ports use: h2 unless asked otherwise, grpc-js for a pod whose port
 * is xDS-managed (grpc-js-xds's XdsServer has no h2 form), which refuses h2 by name.
 */
export function grpcTransportOf(opts: {
  readonly grpcTransport?: GrpcTransport;
  readonly xds?: unknown;
}): GrpcTransport {
  if (opts.grpcTransport === 'h2' && opts.xds)
    throw new OptionError(
      '--grpc-transport h2 cannot serve an xDS-managed gRPC port (--xds-server): that port is always grpc-js',
    );
  return opts.grpcTransport ?? (opts.xds ? 'grpc-js' : 'h2');
}
