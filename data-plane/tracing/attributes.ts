// Span attribute names. OpenTelemetry's semantic conventions where they have one (RPC, HTTP,
// error.type); the pod's own under `switchyard.` where they have none (the conventions have no
// attributes for a model server's model, version or batch). docs/ACCESS.md, "Tracing".
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';

export const ATTR = {
  model: 'switchyard.model',
  version: 'switchyard.model.version',
  requestId: 'switchyard.request.id',
  outcome: 'switchyard.outcome',
  batchSize: 'switchyard.batch.size',
  batchRequests: 'switchyard.batch.requests',
  computeMs: 'switchyard.inference.compute_ms',
  errorType: ATTR_ERROR_TYPE,
  // RPC conventions are still "development" in the package, so their names are written out.
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  grpcStatus: 'rpc.grpc.status_code',
  httpMethod: ATTR_HTTP_REQUEST_METHOD,
  httpRoute: ATTR_HTTP_ROUTE,
  httpStatus: ATTR_HTTP_RESPONSE_STATUS_CODE,
  urlPath: ATTR_URL_PATH,
} as const;

/** Span names of a request's children. */
export const SPAN = {
  queue: 'queue wait',
  batch: 'batch',
  inference: 'inference',
  response: 'response',
} as const;
