// The xDS resource types this server serves, with their schemas and the rules that differ
// between them (xDS rules 3 and 5, docs/XDS.md).
import type { DescMessage } from '@bufbuild/protobuf';
import { XdsTypeError } from '../../kernel/errors/index.js';
import { ClusterSchema } from '../../protos/gen/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../protos/gen/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../protos/gen/envoy/config/route/v3/route_pb.js';
import { SecretSchema } from '../../protos/gen/envoy/extensions/transport_sockets/tls/v3/secret_pb.js';
import type { ResourceSet } from '../translate/types.js';

export const TYPE = {
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  SDS: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type TypeUrl = (typeof TYPE)[keyof typeof TYPE];
export type TypeName = keyof typeof TYPE;

export interface ResourceTypeInfo {
  readonly short: TypeName;
  readonly url: TypeUrl;
  readonly schema: DescMessage;
  readonly field: keyof ResourceSet;
  /** LDS and CDS: a SotW response is the full set; a missing name means deletion. */
  readonly fullState: boolean;
  /** After this type is pushed, the dependent type is resent (Envoy re-warms on change). */
  readonly dependent?: TypeUrl;
}

export const RESOURCE_TYPES: Readonly<Record<TypeUrl, ResourceTypeInfo>> = {
  [TYPE.SDS]: { short: 'SDS', url: TYPE.SDS, schema: SecretSchema, field: 'secrets', fullState: false },
  [TYPE.CDS]: {
    short: 'CDS',
    url: TYPE.CDS,
    schema: ClusterSchema,
    field: 'clusters',
    fullState: true,
    dependent: TYPE.EDS,
  },
  [TYPE.EDS]: {
    short: 'EDS',
    url: TYPE.EDS,
    schema: ClusterLoadAssignmentSchema,
    field: 'endpoints',
    fullState: false,
  },
  [TYPE.LDS]: {
    short: 'LDS',
    url: TYPE.LDS,
    schema: ListenerSchema,
    field: 'listeners',
    fullState: true,
    dependent: TYPE.RDS,
  },
  [TYPE.RDS]: {
    short: 'RDS',
    url: TYPE.RDS,
    schema: RouteConfigurationSchema,
    field: 'routes',
    fullState: false,
  },
};

/**
 * Push order on an ADS stream: secrets first (clusters and listeners warm on them), then
 * CDS -> EDS -> LDS -> RDS, so what a route names exists before the route arrives.
 */
export const PUSH_ORDER: readonly TypeUrl[] = [TYPE.SDS, TYPE.CDS, TYPE.EDS, TYPE.LDS, TYPE.RDS];

const TYPE_URLS: ReadonlySet<string> = new Set(Object.values(TYPE));

export function isTypeUrl(url: string): url is TypeUrl {
  return TYPE_URLS.has(url);
}

export function typeInfo(url: string): ResourceTypeInfo {
  if (!isTypeUrl(url)) throw new XdsTypeError(url);
  return RESOURCE_TYPES[url];
}

export function shortName(url: string): string {
  return isTypeUrl(url) ? RESOURCE_TYPES[url].short : url;
}
