// LDS. gRPC flavor: one api_listener per model, named after it (clients dial
// `xds:///<model>`), whose HttpConnectionManager fetches the model's routes over RDS/ADS and
// ends with the router filter (gRPC checks that it is last). Envoy flavor: one real listener
// on the gateway port with an HttpConnectionManager over RDS, path normalisation, the access
// filters of the models' `spec.access` (access.ts), the router filter, request ids, optional
// OpenTelemetry tracing (tracing.ts) and a JSON access log.
import { create, toBinary } from '@bufbuild/protobuf';
import { varintLength, writeVarint } from '../../kernel/wire/varint.js';
import { ConfigSourceSchema } from '../../protos/gen/envoy/config/core/v3/config_source_pb.js';
import { type Listener, ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { FileAccessLogSchema } from '../../protos/gen/envoy/extensions/access_loggers/file/v3/file_pb.js';
import { RouterSchema } from '../../protos/gen/envoy/extensions/filters/http/router/v3/router_pb.js';
import {
  HttpConnectionManager_CodecType,
  HttpConnectionManager_PathWithEscapedSlashesAction,
  HttpConnectionManagerSchema,
  type HttpFilter,
  HttpFilterSchema,
} from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import type { ModelRoute } from '../policy/types.js';
import { accessHttpFilters } from './access.js';
import { newListener } from './literals.js';
import { GATEWAY_LISTENER, GATEWAY_ROUTE_CONFIG } from './names.js';
import type { TranslateOptions } from './options.js';
import { adsConfigSource, duration, pack } from './proto.js';
import { BODY_BUFFER_LIMIT } from './route-action.js';
import { gatewayDownstreamTls } from './tls.js';
import { gatewayTracing } from './tracing.js';

export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const ROUTER_FILTER = 'envoy.filters.http.router';
export const FILE_ACCESS_LOG = 'envoy.access_loggers.file';

/** What the gateway logs per request: enough to see which version served a model call. */
const ACCESS_LOG_FIELDS = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  model: '%REQ(X-MODEL-NAME)%',
  response_code: '%RESPONSE_CODE%',
  grpc_status: '%GRPC_STATUS%',
  response_flags: '%RESPONSE_FLAGS%',
  duration_ms: '%DURATION%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  upstream_host: '%UPSTREAM_HOST%',
  request_id: '%REQ(X-REQUEST-ID)%',
};

let router: HttpFilter | undefined;
function routerFilter(): HttpFilter {
  router ??= create(HttpFilterSchema, {
    name: ROUTER_FILTER,
    configType: { case: 'typedConfig', value: pack(RouterSchema, create(RouterSchema)) },
  });
  return router;
}

// The gRPC flavor's HttpConnectionManager differs per model only in two strings, and packing it
// through toBinary was a tenth of a 10,000-model translation. Its bytes are written here
// directly: protobuf writes fields in field-number order, so the encoding is stat_prefix (2),
// rds (3: config_source 1, route_config_name 2), then http_filters (5), whose bytes never change.
// encoded-golden.test.ts and grpc-hcm.test.ts hold it to toBinary's output.
const HCM_TYPE_URL = `type.googleapis.com/${HttpConnectionManagerSchema.typeName}`;
let hcmTail: Uint8Array | undefined;
let adsBytes: Uint8Array | undefined;
const utf8 = new TextEncoder();

/** Bytes of a length-delimited field of `n` bytes with a one-byte tag. */
function field(n: number): number {
  return 1 + varintLength(n) + n;
}

function writeBytes(out: Uint8Array, at: number, tag: number, bytes: Uint8Array): number {
  out[at++] = tag;
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

/** The encoded HttpConnectionManager of a model's api_listener (see above). */
export function grpcHcmBytes(model: string): Uint8Array {
  hcmTail ??= toBinary(
    HttpConnectionManagerSchema,
    create(HttpConnectionManagerSchema, { httpFilters: [routerFilter()] }),
  );
  adsBytes ??= toBinary(ConfigSourceSchema, adsConfigSource());
  const name = utf8.encode(model);
  const rds = field(adsBytes.length) + field(name.length);
  const out = new Uint8Array(field(name.length) + field(rds) + hcmTail.length);
  let at = writeBytes(out, 0, (2 << 3) | 2, name);
  out[at++] = (3 << 3) | 2;
  at = writeVarint(out, at, rds);
  at = writeBytes(out, at, (1 << 3) | 2, adsBytes);
  at = writeBytes(out, at, (2 << 3) | 2, name);
  out.set(hcmTail, at);
  return out;
}

export function grpcListener(model: string): Listener {
  const listener = newListener(model);
  listener.apiListener = {
    $typeName: 'envoy.config.listener.v3.ApiListener',
    apiListener: { $typeName: 'google.protobuf.Any', typeUrl: HCM_TYPE_URL, value: grpcHcmBytes(model) },
  };
  return listener;
}

/**
 * The gateway listener. `routes`: every model served, for the access filters that hold
 * per-model configuration (access.ts).
 */
export function gatewayListener(options: TranslateOptions, routes: readonly ModelRoute[] = []): Listener {
  const accessLog = create(FileAccessLogSchema, {
    path: options.accessLogPath,
    accessLogFormat: {
      case: 'logFormat',
      value: { format: { case: 'jsonFormat', value: ACCESS_LOG_FIELDS } },
    },
  });
  const tracing = gatewayTracing(options);
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: 'gateway',
    codecType: HttpConnectionManager_CodecType.AUTO,
    routeSpecifier: {
      case: 'rds',
      value: { configSource: adsConfigSource(), routeConfigName: GATEWAY_ROUTE_CONFIG },
    },
    httpFilters: [...accessHttpFilters(routes, options), routerFilter()],
    // Envoy makes an x-request-id for each request (a client's own is replaced: no peer is
    // internal) and returns it; it reaches the pods, their logs and the trace.
    generateRequestId: true,
    preserveExternalRequestId: false,
    alwaysSetRequestIdInResponse: true,
    ...(tracing ? { tracing } : {}),
    accessLog: [
      {
        name: FILE_ACCESS_LOG,
        configType: { case: 'typedConfig', value: pack(FileAccessLogSchema, accessLog) },
      },
    ],
    // A REST path names the model: normalise it so `/v2/models/../x` cannot pick another route.
    normalizePath: true,
    mergeSlashes: true,
    pathWithEscapedSlashesAction: HttpConnectionManager_PathWithEscapedSlashesAction.REJECT_REQUEST,
    useRemoteAddress: true,
    // Said explicitly: no peer is internal. Left unset, Envoy treats RFC 1918 peers as
    // internal and trusts their x-envoy-* headers (HttpConnectionManager.internal_address_config).
    internalAddressConfig: { unixSockets: false, cidrRanges: [] },
    // Edge best practices: a client gets 10 s to send its headers, an idle connection closes
    // after an hour and an idle stream after 5 minutes (slowloris and idle-socket hoarding).
    requestHeadersTimeout: duration('10s'),
    streamIdleTimeout: duration('300s'),
    commonHttpProtocolOptions: { idleTimeout: duration('3600s') },
  });
  return create(ListenerSchema, {
    name: GATEWAY_LISTENER,
    // Retries and mirroring buffer the request body; Envoy gives up on both for bodies over
    // this limit (default 1 MiB, route-action.ts BODY_BUFFER_LIMIT).
    perConnectionBufferLimitBytes: BODY_BUFFER_LIMIT,
    address: {
      address: {
        case: 'socketAddress',
        value: {
          address: options.gatewayAddress,
          portSpecifier: { case: 'portValue', value: options.gatewayPort },
        },
      },
    },
    filterChains: [
      {
        filters: [
          {
            name: HCM_FILTER,
            configType: { case: 'typedConfig', value: pack(HttpConnectionManagerSchema, hcm) },
          },
        ],
        ...(options.gatewayMtls ? { transportSocket: gatewayDownstreamTls(options) } : {}),
      },
    ],
  });
}
