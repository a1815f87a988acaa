// The gRPC admin API's credentials from the HTTPS admin API's TLS options, so both listeners
// present the same certificate and, with a client CA, both require client certificates.
import type { ServerOptions as HttpsOptions } from 'node:https';
import { ServerCredentials } from '@grpc/grpc-js';

export function grpcCredentialsLike(tls: HttpsOptions | undefined): ServerCredentials {
  if (!tls?.cert || !tls.key) return ServerCredentials.createInsecure();
  const ca = tls.ca ? Buffer.from(String(tls.ca)) : null;
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: Buffer.from(String(tls.cert)), private_key: Buffer.from(String(tls.key)) }],
    !!ca,
  );
}
