// Span attribute names. OpenTelemetry's semantic conventions where they have one (RPC, HTTP,
// error.type); the pod's own under `switchyard.` where they have none (the conventions have no
// attributes for a model server's model, version or batch). docs/ACCESS.md, "Tracing".
// Written out rather than imported from @opentelemetry/semantic-conventions: every request's
// scope uses these names, and a pod without tracing must not load OpenTelemetry at all.

export const ATTR = {
  model: 'switchyard.model',
  version: 'switchyard.model.version',
  requestId: 'switchyard.request.id',
  outcome: 'switchyard.outcome',
  batchSize: 'switchyard.batch.size',
  batchRequests: 'switchyard.batch.requests',
  computeMs: 'switchyard.inference.compute_ms',
  errorType: 'error.type',
  rpcSystem: 'rpc.system',
  rpcService: 'rpc.service',
  rpcMethod: 'rpc.method',
  grpcStatus: 'rpc.grpc.status_code',
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
} as const;

/** Span names of a request's children. */
export const SPAN = {
  queue: 'queue wait',
  batch: 'batch',
  inference: 'inference',
  response: 'response',
} as const;
