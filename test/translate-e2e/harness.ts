// What the translate end-to-end suites share: model pods that answer with their version and pod
// name (or fail, on purpose, in a chosen way), policies parsed from YAML, translation published
// to a real xDS server, and real grpc-js-xds clients dialing `xds:///<model>`.
import { parsePolicyFile } from '../../control-plane/policy/index.js';
import { forCapabilities, GROUPS } from '../../control-plane/translate/capabilities.js';
import { type EndpointInfo, translate } from '../../control-plane/translate/index.js';
import { type DemoBackendClient, type DemoBackendHandle, startDemoBackend } from '../helpers/demo-backend.js';
import { measureSplit } from '../helpers/xds-client.js';
import type { XdsFixture } from '../helpers/xds-fixture.js';

export { policy } from '../helpers/policy-yaml.js';

export type Pod = DemoBackendHandle;

export function startPod(version: string, name: string, host = '127.0.0.1'): Promise<Pod> {
  return startDemoBackend(version, name, host);
}

export function endpointOf(pod: Pod, extra: Partial<EndpointInfo> = {}): EndpointInfo {
  return { address: pod.host, port: pod.port, health: 'HEALTHY', podId: pod.name, ...extra };
}

/**
 * Parse policy YAML, translate for gRPC and publish it to every gRPC group (each capability
 * set: grpc-js-xds and C-core read different ones); throws if a snapshot is refused.
 */
export function publishPolicy(
  fx: XdsFixture,
  yaml: string,
  endpoints: Record<string, EndpointInfo[]> = {},
): void {
  const routes = parsePolicyFile(yaml, 'e2e.yaml');
  const set = translate({ routes, endpoints: new Map(Object.entries(endpoints)) }, 'grpc');
  for (const g of GROUPS) if (g.flavor === 'grpc') fx.publish(g.group, forCapabilities(set, g.capabilities));
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
  const r = await measureSplit(client, model, n, concurrency, headers);
  return { byVersion: r.counts, byPod: r.byPod, failures: r.failures, errors: r.errors };
}
