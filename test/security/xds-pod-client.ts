// Real proxyless gRPC clients with xDS security (gRFC A29, @grpc/grpc-js-xds): each has its own
// bootstrap whose `certificate_providers.default` is a file_watcher over a `certs agent`
// directory; the clusters the control plane serves for STRICT name that instance. grpc-js-xds
// needs no environment variable for client-side security, but the channel must use
// XdsChannelCredentials (its fallback is used for clusters without a transport_socket).
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { serviceDefinition as grpcServiceDefinition } from '../../kernel/grpc/service-definition.js';
import { fileWatcherProviderConfig, MATERIAL_FILES } from '../../kernel/tls/index.js';
import {
  GRPCInferenceService,
  ModelInferRequestSchema,
  type ModelInferResponse,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';

grpcXds.register();

const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
/** A KServe v2 client constructor (for direct, non-xDS channels too). */
export const KServe = grpc.makeGenericClientConstructor(
  grpcServiceDefinition(GRPCInferenceService),
  'KServe',
);

export type CertFiles =
  | { readonly dir: string }
  /** Only a CA file: the client can verify the pod but has no certificate of its own. */
  | { readonly caOnly: string };

/** A bootstrap for `xdsAddress` (the control plane's plaintext port: see stream-admission.ts). */
export function securityBootstrap(xdsAddress: string, nodeId: string, files?: CertFiles): string {
  const providers = !files
    ? {}
    : 'dir' in files
      ? { default: fileWatcherProviderConfig(files.dir, 1) }
      : {
          default: {
            plugin_name: 'file_watcher',
            config: {
              ca_certificate_file: `${files.caOnly}/${MATERIAL_FILES.caCertificate}`,
              refresh_interval: '1s',
            },
          },
        };
  return JSON.stringify({
    xds_servers: [
      { server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node: { id: nodeId, cluster: 'switchyard-security-test', locality: { region: 'local' } },
    certificate_providers: providers,
  });
}

export function xdsKServeClient(
  xdsAddress: string,
  model: string,
  nodeId: string,
  files?: CertFiles,
  options: grpc.ChannelOptions = {},
): grpc.Client {
  return new KServe(`xds:///${model}`, new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()), {
    [BOOTSTRAP_OPTION]: securityBootstrap(xdsAddress, nodeId, files),
    ...options,
  });
}

export type Outcome = { ok: true; value: unknown } | { ok: false; code: number; details: string };

function unary(client: grpc.Client, method: string, req: unknown, deadlineMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method]!.bind(client);
    fn(
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, res: unknown) =>
        resolve(err ? { ok: false, code: err.code, details: err.details } : { ok: true, value: res }),
    );
  });
}

/** KServe v2 ServerLive: the cheapest call a pod answers (no model involved). */
export function serverLive(client: grpc.Client, deadlineMs = 5000): Promise<Outcome> {
  return unary(client, 'serverLive', {}, deadlineMs);
}

/** The generated `affine` model: y = 2x + 1 on a [2,3] float tensor. */
export async function inferAffine(client: grpc.Client, deadlineMs = 5000): Promise<number[] | Outcome> {
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);
  const req = create(ModelInferRequestSchema, {
    modelName: 'affine',
    inputs: [{ name: 'x', datatype: 'FP32', shape: [2n, 3n] }],
    rawInputContents: [new Uint8Array(x.buffer)],
  });
  const out = await unary(client, 'modelInfer', req, deadlineMs);
  if (!out.ok) return out;
  const raw = (out.value as ModelInferResponse).rawOutputContents[0]!;
  return [...new Float32Array(Uint8Array.from(raw).buffer)];
}
