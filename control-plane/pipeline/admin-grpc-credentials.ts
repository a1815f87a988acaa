// The gRPC admin API: its credentials from the HTTPS admin API's TLS options, so both listeners
// present the same certificate and, with a client CA, both require client certificates; and its
// start on a probed port.
import type { ServerOptions as HttpsOptions } from 'node:https';
import { ServerCredentials } from '@grpc/grpc-js';
import { probePort } from '../../kernel/runtime/port-probe.js';
import { GrpcAdminServer } from '../api/grpc-admin.js';

export function grpcCredentialsLike(tls: HttpsOptions | undefined): ServerCredentials {
  if (!tls?.cert || !tls.key) return ServerCredentials.createInsecure();
  const ca = tls.ca ? Buffer.from(String(tls.ca)) : null;
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: Buffer.from(String(tls.cert)), private_key: Buffer.from(String(tls.key)) }],
    !!ca,
  );
}

/** Listens on `port` (refused at once when it is taken); the bound port comes back with the server. */
export async function startAdminGrpc(
  deps: ConstructorParameters<typeof GrpcAdminServer>[0],
  host: string,
  port: number,
  credentials: ServerCredentials,
): Promise<{ server: GrpcAdminServer; port: number }> {
  await probePort('admin gRPC', host, port);
  const server = new GrpcAdminServer(deps);
  return { server, port: await server.listen(host, port, credentials) };
}
