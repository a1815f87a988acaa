// PGV checks over everything a snapshot would carry, each issue prefixed with the resource's
// type and name (`Cluster[resnet/v1].outlier_detection.interval: must be > 0s`). The snapshot
// publisher refuses a set with any issue; tests run it on every golden case.
import type { DescMessage, Message } from '@bufbuild/protobuf';
import type { Issue } from '../../kernel/errors/index.js';
import { runSteps } from '../../kernel/runtime/steps.js';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { SecretSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { encodingOf, type ResourceSet } from '../resources/index.js';
import { checkMessage } from './pgv.js';

function* checkAll(
  kind: string,
  schema: DescMessage,
  items: readonly Message[],
  name: (m: Message) => string,
  out: Issue[],
): Generator<void> {
  for (const item of items) {
    // Written as bytes only when every value passes its rules (encoded-assignment.ts).
    if (encodingOf(item)) {
      yield;
      continue;
    }
    const prefix = `${kind}[${name(item)}]`;
    for (const issue of checkMessage(schema, item))
      out.push({ path: issue.path ? `${prefix}.${issue.path}` : prefix, message: issue.message });
    yield;
  }
}

const byName = (m: Message) => (m as unknown as { name: string }).name;

/** Every protoc-gen-validate violation in a resource set. */
export function checkResources(set: ResourceSet): Issue[] {
  return runSteps(checkResourcesSteps(set));
}

/**
 * `checkResources`, yielding after each resource: one model at the size limits has a hundred
 * of them, too many to check in one turn of a shared event loop.
 */
export function* checkResourcesSteps(set: ResourceSet): Generator<void, Issue[]> {
  const out: Issue[] = [];
  yield* checkAll('Listener', ListenerSchema, set.listeners, byName, out);
  yield* checkAll('RouteConfiguration', RouteConfigurationSchema, set.routes, byName, out);
  yield* checkAll('Cluster', ClusterSchema, set.clusters, byName, out);
  yield* checkAll(
    'ClusterLoadAssignment',
    ClusterLoadAssignmentSchema,
    set.endpoints,
    (m) => (m as unknown as { clusterName: string }).clusterName,
    out,
  );
  yield* checkAll('Secret', SecretSchema, set.secrets, byName, out);
  return out;
}
