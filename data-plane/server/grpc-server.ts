// The KServe v2 gRPC API (inference.GRPCInferenceService) and grpc.health.v1.Health on one
// grpc-js server. Handlers convert messages and call InferenceService; errors become gRPC
// statuses (status.ts).
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { asSwitchyardError } from '../../kernel/errors/errors.js';
import { serviceDefinition as grpcServiceDefinition } from '../../kernel/grpc/service-definition.js';
import { Health } from '../../protos/gen/grpc/health/v1/health_pb.js';
import {
  GRPCInferenceService,
  type ModelInferRequest,
  type ModelInferResponse,
  type ModelMetadataRequest,
  type ModelMetadataResponse,
  ModelMetadataResponse_TensorMetadataSchema,
  ModelMetadataResponseSchema,
  type ModelReadyRequest,
  type ModelReadyResponse,
  ModelReadyResponseSchema,
  type ServerLiveResponse,
  ServerLiveResponseSchema,
  type ServerMetadataResponse,
  ServerMetadataResponseSchema,
  type ServerReadyResponse,
  ServerReadyResponseSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import type { AccessEnforcer } from '../access/enforcer.js';
import { peerOfCall } from '../access/peer.js';
import { Cancellation } from '../inference/cancellation.js';
import type { InferenceService } from '../serving/inference-service.js';
import { SERVER_NAME, SERVER_VERSION } from '../serving/inference-service.js';
import type { TensorSpec } from '../tensors/tensor.js';
import { RequestScopes } from '../tracing/request-scope.js';
import { decodeInferRequest, encodeInferResponse } from './grpc-codec.js';
import type { GrpcFront } from './grpc-front.js';
import type { HealthService } from './health.js';
import { DEFAULT_KEEPALIVE, type KeepaliveOptions, keepaliveServerOptions } from './keepalive-options.js';
import { LoadReporter, loadTrailer, wantsLoadReport } from './orca.js';
import { encodeRawInferResponse } from './raw-response.js';
import { grpcErrorOf } from './status.js';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => void;

function fail<Res>(cb: grpc.sendUnaryData<Res>, err: unknown): void {
  cb(grpcErrorOf(asSwitchyardError(err)));
}

/** call.getDeadline() as epoch ms (Infinity when the client set none). */
function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  if (d instanceof Date) return d.getTime();
  return typeof d === 'number' && Number.isFinite(d) ? d : Number.POSITIVE_INFINITY;
}

function tensorMeta(t: TensorSpec) {
  return create(ModelMetadataResponse_TensorMetadataSchema, {
    name: t.name,
    datatype: t.datatype,
    shape: t.shape.map((d) => BigInt(d)),
  });
}

/** Access rules first (docs/ACCESS.md): the handler runs only for an admitted call. */
function guarded<Req, Res>(
  access: AccessEnforcer | undefined,
  modelOf: (req: Req) => string,
  handler: Unary<Req, Res>,
): Unary<Req, Res> {
  if (!access) return handler;
  return (call, cb) => {
    const header = (name: string) => {
      const v = call.metadata.get(name)[0];
      return typeof v === 'string' ? v : undefined;
    };
    access.check(modelOf(call.request), { peer: peerOfCall(call), header }).then(
      () => handler(call, cb),
      (err: unknown) => fail(cb, err),
    );
  };
}

/**
 * A port that serves one version alone: a request naming its model without a version gets it
 * (docs/PLACEMENT.md, "A port per version"). An explicit version in the request still wins.
 */
export interface VersionPin {
  readonly model: string;
  readonly version: string;
}

function pinned(pin: VersionPin | undefined, model: string, version: string): string {
  return pin && !version && model === pin.model ? pin.version : version;
}

export function inferenceHandlers(
  svc: InferenceService,
  scopes: RequestScopes = new RequestScopes(),
  access?: AccessEnforcer,
  pin?: VersionPin,
  load: LoadReporter = new LoadReporter(),
): grpc.UntypedServiceImplementation {
  const modelInfer: Unary<ModelInferRequest, ModelInferResponse> = (call, cb) => {
    const startedMs = performance.now();
    const { modelName } = call.request;
    const modelVersion = pinned(pin, modelName, call.request.modelVersion);
    const scope = scopes.grpc(call, 'ModelInfer', modelName, modelVersion);
    let release: () => void;
    let decoded: ReturnType<typeof decodeInferRequest>;
    try {
      release = svc.lifecycle.enter();
    } catch (err) {
      fail(cb, scope.failed(svc.rejected(modelName, modelVersion, err)));
      return;
    }
    try {
      decoded = decodeInferRequest(call.request);
    } catch (err) {
      fail(cb, scope.failed(svc.rejected(modelName, modelVersion, err)));
      release();
      return;
    }
    const cancellation = new Cancellation();
    // `on`, not `once` (a wrapper and its state per request): a call is cancelled at most once.
    call.on('cancelled', () => cancellation.cancel());
    const request =
      modelVersion === decoded.request.version
        ? decoded.request
        : { ...decoded.request, version: modelVersion };
    load.begin();
    svc.infer(request, { deadline: deadlineOf(call), cancellation, hooks: scope }).then(
      (res) => {
        try {
          scope.responding();
          const trailers = loadTrailer(call, load.record(startedMs, true, wantsLoadReport(call)));
          // Raw answers skip the message objects: already bytes (inferenceDefinition below).
          const answer = decoded.raw ? encodeRawInferResponse(res) : encodeInferResponse(res, false);
          cb(null, answer as ModelInferResponse, trailers);
          scope.succeeded();
        } finally {
          release();
        }
      },
      (err: unknown) => {
        load.record(startedMs, false);
        fail(cb, scope.failed(err));
        release();
      },
    );
  };
  const serverLive: Unary<unknown, ServerLiveResponse> = (_call, cb) =>
    cb(null, create(ServerLiveResponseSchema, { live: svc.live() }));
  const serverReady: Unary<unknown, ServerReadyResponse> = (_call, cb) =>
    cb(null, create(ServerReadyResponseSchema, { ready: svc.ready() }));
  const modelReady: Unary<ModelReadyRequest, ModelReadyResponse> = (call, cb) =>
    cb(
      null,
      create(ModelReadyResponseSchema, {
        ready: svc.modelReady(
          call.request.name,
          pinned(pin, call.request.name, call.request.version) || undefined,
        ),
      }),
    );
  const serverMetadata: Unary<unknown, ServerMetadataResponse> = (_call, cb) =>
    cb(
      null,
      create(ServerMetadataResponseSchema, { name: SERVER_NAME, version: SERVER_VERSION, extensions: [] }),
    );
  const modelMetadata: Unary<ModelMetadataRequest, ModelMetadataResponse> = (call, cb) => {
    try {
      const version = pinned(pin, call.request.name, call.request.version);
      const m = svc.modelMetadata(call.request.name, version || undefined);
      cb(
        null,
        create(ModelMetadataResponseSchema, {
          name: m.name,
          versions: [...m.versions],
          platform: m.platform,
          inputs: m.signature.inputs.map(tensorMeta),
          outputs: m.signature.outputs.map(tensorMeta),
        }),
      );
    } catch (err) {
      fail(cb, err);
    }
  };
  const handlers = {
    serverLive,
    serverReady,
    modelReady,
    serverMetadata,
    modelMetadata: guarded(access, (r: ModelMetadataRequest) => r.name, modelMetadata),
    modelInfer: guarded(access, (r: ModelInferRequest) => r.modelName, modelInfer),
  };
  return handlers as unknown as grpc.UntypedServiceImplementation;
}

/** The KServe service, with ModelInfer answers that may come already encoded (raw-response.ts). */
function inferenceDefinition(): grpc.ServiceDefinition {
  const def = grpcServiceDefinition(GRPCInferenceService) as unknown as Record<
    string,
    grpc.MethodDefinition<unknown, unknown>
  >;
  const infer = def.modelInfer!;
  def.modelInfer = {
    ...infer,
    responseSerialize: (m: unknown) => (m instanceof Buffer ? m : infer.responseSerialize(m)),
  };
  return def as unknown as grpc.ServiceDefinition;
}

export interface GrpcServerOptions {
  readonly maxMessageBytes: number;
  /** Request ids, traces and request log lines (data-plane/tracing). */
  readonly scopes?: RequestScopes;
  /** Per-model access rules (data-plane/access); absent: every call is admitted. */
  readonly access?: AccessEnforcer;
  /** A managed version's own port (docs/PLACEMENT.md, "A port per version"). */
  readonly pin?: VersionPin;
  /** The ORCA reporter to serve, so its owner can end its streams at close; default: one of its own. */
  readonly load?: LoadReporter;
  /** Keepalive pings on every connection (keepalive-options.ts); default: DEFAULT_KEEPALIVE. */
  readonly keepalive?: KeepaliveOptions;
}

/**
 * `make`: the server class to use (xds-server.ts passes grpc-js-xds's XdsServer; grpc-front.ts
 * the pod's transports).
 */
export function createGrpcServer<S extends GrpcFront = grpc.Server>(
  svc: InferenceService,
  health: HealthService,
  opts: GrpcServerOptions,
  make: (options: grpc.ServerOptions) => S = (o) => new grpc.Server(o) as unknown as S,
): S {
  const server = make({
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_send_message_length': -1,
    // Channelz keeps per-call counters and timestamps through closures made for every call; the
    // pod serves no channelz service, so they would only cost (docs/DATAPLANE.md, "Against the
    // lean server").
    'grpc.enable_channelz': 0,
    ...keepaliveServerOptions(opts.keepalive ?? DEFAULT_KEEPALIVE),
  });
  const load = opts.load ?? new LoadReporter();
  server.addService(inferenceDefinition(), inferenceHandlers(svc, opts.scopes, opts.access, opts.pin, load));
  load.addTo(server);
  server.addService(grpcServiceDefinition(Health), {
    check: health.handlers.check,
    watch: health.handlers.watch,
  } as grpc.UntypedServiceImplementation);
  return server;
}

export function bindGrpc(server: GrpcFront, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
}
