// What the translate end-to-end suites share: model pods that answer with their version and pod
// name (or fail, on purpose, in a chosen way), policies parsed from YAML, translation published
// to a real xDS server, and real grpc-js-xds clients dialing `xds:///<model>`.
import { create } from '@bufbuild/protobuf';
import {
  status as GrpcStatus,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { serviceDefinition } from '../../control-plane/grpc/service-definition.js';
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { type EndpointInfo, translate } from '../../control-plane/translate/index.js';
import {
  DemoBackend,
  type PredictRequest,
  PredictRequestSchema,
  type PredictResponse,
  PredictResponseSchema,
} from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import { type DemoBackendClient, predict } from '../helpers/demo-backend.js';
import type { XdsFixture } from '../helpers/xds-fixture.js';

/** ok: answer; fail: always UNAVAILABLE; fail-first-attempt: UNAVAILABLE unless it is a retry. */
export type Behaviour = 'ok' | 'fail' | 'fail-first-attempt';

export interface Pod {
  readonly name: string;
  readonly version: string;
  readonly host: string;
  readonly port: number;
  behaviour: Behaviour;
  calls: number;
  close(): Promise<void>;
}

export async function startPod(version: string, name: string, host = '127.0.0.1'): Promise<Pod> {
  const server = new Server();
  const pod: Pod = {
    name,
    version,
    host,
    port: 0,
    behaviour: 'ok',
    calls: 0,
    close: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 300).unref();
      }),
  };
  server.addService(serviceDefinition(DemoBackend), {
    predict(call: ServerUnaryCall<PredictRequest, PredictResponse>, cb: sendUnaryData<PredictResponse>) {
      pod.calls++;
      // grpc-js marks retry attempts with grpc-previous-rpc-attempts (gRFC A6).
      const retry = call.metadata.get('grpc-previous-rpc-attempts').length > 0;
      if (pod.behaviour === 'fail' || (pod.behaviour === 'fail-first-attempt' && !retry)) {
        cb({ code: GrpcStatus.UNAVAILABLE, details: `${name} fails on purpose` });
        return;
      }
      cb(null, create(PredictResponseSchema, { model: call.request.model, version, pod: name }));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  (pod as { port: number }).port = port;
  return pod;
}

export function endpointOf(pod: Pod, extra: Partial<EndpointInfo> = {}): EndpointInfo {
  return { address: pod.host, port: pod.port, health: 'HEALTHY', podId: pod.name, ...extra };
}

/** Parse policy YAML, translate for gRPC and publish it; throws if the snapshot is refused. */
export function publishPolicy(
  fx: XdsFixture,
  yaml: string,
  endpoints: Record<string, EndpointInfo[]> = {},
): void {
  const routes = parsePolicyFile(yaml, 'e2e.yaml');
  fx.publish('grpc', translate({ routes, endpoints: new Map(Object.entries(endpoints)) }, 'grpc'));
}

export interface Tally {
  readonly byVersion: Record<string, number>;
  readonly byPod: Record<string, number>;
  readonly failures: number;
  readonly errors: string[];
}

/** n Predict calls with bounded concurrency; answers counted by version and by pod. */
export async function send(
  client: InstanceType<typeof DemoBackendClient>,
  model: string,
  n: number,
  headers?: Record<string, string>,
  concurrency = 16,
): Promise<Tally> {
  const byVersion: Record<string, number> = {};
  const byPod: Record<string, number> = {};
  const errors: string[] = [];
  let next = 0;
  const req = create(PredictRequestSchema, { model });
  const worker = async () => {
    while (next < n) {
      next++;
      try {
        const res = await predict(client, req, { timeoutMs: 5000, ...(headers ? { headers } : {}) });
        byVersion[res.version] = (byVersion[res.version] ?? 0) + 1;
        byPod[res.pod] = (byPod[res.pod] ?? 0) + 1;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { byVersion, byPod, failures: errors.length, errors: errors.slice(0, 3) };
}

export function policy(model: string, spec: string): string {
  const body = spec
    .trim()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: ${model} }\nspec:\n  model: ${model}\n${body}\n`;
}
