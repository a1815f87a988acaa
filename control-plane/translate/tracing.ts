// The gateway's tracing: Envoy's OpenTelemetry tracer (`envoy.tracers.opentelemetry`) exporting
// spans over OTLP/gRPC to a collector cluster of the bootstrap (Envoy takes only a static cluster
// for a tracer's gRPC service). Envoy propagates W3C trace context (`traceparent`) to the pods,
// which continue the trace. Off unless the gateway is started with tracing; the request id is
// handled in listeners.ts either way. docs/ACCESS.md, "Tracing".
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/trace/v3/opentelemetry.proto
import { create } from '@bufbuild/protobuf';
import { OpenTelemetryConfigSchema } from '../../protos/gen/envoy/config/trace/v3/opentelemetry_pb.js';
import {
  type HttpConnectionManager_Tracing,
  HttpConnectionManager_TracingSchema,
} from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { MODEL_HEADER } from './names.js';
import type { TranslateOptions } from './options.js';
import { duration, pack } from './proto.js';

export const OPENTELEMETRY_TRACER = 'envoy.tracers.opentelemetry';
export const GATEWAY_SERVICE_NAME = 'switchyard-gateway';

export function gatewayTracing(options: TranslateOptions): HttpConnectionManager_Tracing | undefined {
  if (!options.gatewayTracing) return undefined;
  const otel = create(OpenTelemetryConfigSchema, {
    grpcService: {
      targetSpecifier: { case: 'envoyGrpc', value: { clusterName: options.tracingCluster } },
      timeout: duration('1s'),
    },
    serviceName: GATEWAY_SERVICE_NAME,
  });
  return create(HttpConnectionManager_TracingSchema, {
    randomSampling: { value: options.tracingSamplePercent },
    // The gRPC model header as a span attribute; REST requests name the model in the path.
    customTags: [{ tag: 'switchyard.model', type: { case: 'requestHeader', value: { name: MODEL_HEADER } } }],
    provider: {
      name: OPENTELEMETRY_TRACER,
      configType: { case: 'typedConfig', value: pack(OpenTelemetryConfigSchema, otel) },
    },
    // A client span per upstream request, so the pod's span has the gateway's call as parent.
    spawnUpstreamSpan: true,
  });
}
