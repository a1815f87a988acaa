// Resources as operators read them: proto3 JSON (Any payloads expanded through the shared
// registry) rendered as YAML, one document per resource type. Used by the golden files and by
// `switchyard config-dump`; stable output, because the golden tests compare it byte for byte.
import { type DescMessage, type Message, toJson } from '@bufbuild/protobuf';
import { stringify } from 'yaml';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { SecretSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import { XDS_REGISTRY } from '../resources/index.js';
import type { ResourceSet } from './types.js';

export const RESOURCE_TYPES = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

const SCHEMAS: Record<ResourceType, DescMessage> = {
  listeners: ListenerSchema,
  routes: RouteConfigurationSchema,
  clusters: ClusterSchema,
  endpoints: ClusterLoadAssignmentSchema,
  secrets: SecretSchema,
};

/** The proto3 JSON of every resource of one type. */
export function resourcesToJson(set: ResourceSet, type: ResourceType): unknown[] {
  const schema = SCHEMAS[type];
  return (set[type] as readonly Message[]).map((m) => toJson(schema, m, { registry: XDS_REGISTRY }));
}

/** One YAML document for one resource type; stable key order (proto field order). */
export function renderResourcesYaml(set: ResourceSet, type: ResourceType): string {
  return stringify(resourcesToJson(set, type), { lineWidth: 0, aliasDuplicateObjects: false });
}
