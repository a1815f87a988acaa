// A stand-in model server for routing tests: DemoBackend.Predict answers with the version and
// pod that served the call, so a client can count the split. It can be told to fail, always or
// only on first attempts, to check ejection and retries.
import { create } from '@bufbuild/protobuf';
import {
  status as GrpcStatus,
  Metadata,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { clientConstructor, serviceDefinition } from '../../kernel/grpc/service-definition.js';
import {
  DemoBackend,
  type PredictRequest,
  type PredictResponse,
  PredictResponseSchema,
} from '../../protos/gen/switchyard/demo/v1/backend_pb.js';

/** ok: answer; fail: always UNAVAILABLE; fail-first-attempt: UNAVAILABLE unless it is a retry. */
export type Behaviour = 'ok' | 'fail' | 'fail-first-attempt';

export interface DemoBackendHandle {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly version: string;
  calls: number;
  behaviour: Behaviour;
  close(): Promise<void>;
}

export async function startDemoBackend(
  version: string,
  pod = `${version}-pod`,
  host = '127.0.0.1',
): Promise<DemoBackendHandle> {
  const server = new Server();
  const handle: DemoBackendHandle = {
    name: pod,
    host,
    port: 0,
    version,
    calls: 0,
    behaviour: 'ok',
    close: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 500).unref();
      }),
  };
  server.addService(serviceDefinition(DemoBackend), {
    predict(call: ServerUnaryCall<PredictRequest, PredictResponse>, cb: sendUnaryData<PredictResponse>) {
      handle.calls++;
      // grpc-js marks retry attempts with grpc-previous-rpc-attempts (gRFC A6).
      const retry = call.metadata.get('grpc-previous-rpc-attempts').length > 0;
      if (handle.behaviour === 'fail' || (handle.behaviour === 'fail-first-attempt' && !retry)) {
        cb({ code: GrpcStatus.UNAVAILABLE, details: `${pod} fails on purpose` });
        return;
      }
      cb(null, create(PredictResponseSchema, { model: call.request.model, version, pod }));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  (handle as { port: number }).port = port;
  return handle;
}

export const DemoBackendClient = clientConstructor(DemoBackend);

type PredictFn = (
  req: PredictRequest,
  metadata: Metadata,
  opts: { deadline: Date },
  cb: (err: Error | null, res?: PredictResponse) => void,
) => void;

export interface CallOptions {
  readonly timeoutMs?: number;
  /** Request headers (gRPC metadata), e.g. `x-cohort: beta` for match rules. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One Predict call as a promise. */
export function predict(
  client: InstanceType<typeof DemoBackendClient>,
  req: PredictRequest,
  opts: CallOptions = {},
): Promise<PredictResponse> {
  const md = new Metadata();
  for (const [k, v] of Object.entries(opts.headers ?? {})) md.set(k, v);
  return new Promise((resolve, reject) => {
    (client as unknown as { predict: PredictFn }).predict(
      req,
      md,
      { deadline: new Date(Date.now() + (opts.timeoutMs ?? 5000)) },
      (err, res) => (err ? reject(err) : resolve(res!)),
    );
  });
}
