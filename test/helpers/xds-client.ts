// Real proxyless gRPC clients (@grpc/grpc-js-xds) pointed at a test's control plane. Each client
// gets its own bootstrap through the channel option, so one process can hold several.
import './xds-env.js';
import { create } from '@bufbuild/protobuf';
import { credentials } from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { PredictRequestSchema } from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import { DemoBackendClient, predict } from './demo-backend.js';

grpcXds.register();

const BOOTSTRAP_OPTION = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';

export function bootstrapFor(xdsAddress: string, nodeId: string): string {
  return JSON.stringify({
    xds_servers: [
      { server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node: { id: nodeId, cluster: 'switchyard-test', locality: { region: 'local' } },
  });
}

export function xdsDemoClient(xdsAddress: string, model: string, nodeId = `grpc-${model}-${process.pid}`) {
  return new DemoBackendClient(`xds:///${model}`, credentials.createInsecure(), {
    [BOOTSTRAP_OPTION]: bootstrapFor(xdsAddress, nodeId),
  });
}

export interface SplitResult {
  /** Answers by the version that served them. */
  readonly counts: Record<string, number>;
  /** Answers by the pod that served them. */
  readonly byPod: Record<string, number>;
  readonly failures: number;
  readonly errors: string[];
}

/** Send n Predict calls (with bounded concurrency) and count answers by version and pod. */
export async function measureSplit(
  client: InstanceType<typeof DemoBackendClient>,
  model: string,
  n: number,
  concurrency = 20,
  headers?: Record<string, string>,
): Promise<SplitResult> {
  const counts: Record<string, number> = {};
  const byPod: Record<string, number> = {};
  const errors: string[] = [];
  let next = 0;
  const req = create(PredictRequestSchema, { model });
  const worker = async () => {
    while (next < n) {
      next++;
      try {
        const res = await predict(client, req, headers ? { headers } : {});
        counts[res.version] = (counts[res.version] ?? 0) + 1;
        byPod[res.pod] = (byPod[res.pod] ?? 0) + 1;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { counts, byPod, failures: errors.length, errors: errors.slice(0, 5) };
}
