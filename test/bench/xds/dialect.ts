// The two ADS protocols as the benchmark's load client speaks them (XDS_BENCH_PROTOCOL=sotw|delta):
// the same subscriptions (one model's LDS/RDS/CDS/EDS), the first request carrying the node, and
// an ACK for every response (SotW: version and names again; delta: the nonce alone).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { TYPE } from '../../../control-plane/xds/resource-types.js';
import { OptionError } from '../../../kernel/errors/index.js';
import { NodeSchema } from '../../../protos/gen/envoy/config/core/v3/base_pb.js';
import { AggregatedDiscoveryService } from '../../../protos/gen/envoy/service/discovery/v3/ads_pb.js';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from '../../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import { MODEL } from './protocol.js';

export const SUBSCRIPTIONS: Array<[string, string[]]> = [
  [TYPE.LDS, [MODEL]],
  [TYPE.RDS, [MODEL]],
  [TYPE.CDS, [`${MODEL}/v1`, `${MODEL}/v2`]],
  [TYPE.EDS, [`${MODEL}/v1`, `${MODEL}/v2`]],
];
const NAMES = new Map(SUBSCRIPTIONS);

/** What the load client needs of a response: its type and the version it carries. */
export interface Seen {
  readonly typeUrl: string;
  readonly version: string;
}

/** Requests as both the encoded form (lean client) and the message (grpc-js client). */
export interface Dialect {
  readonly protocol: 'sotw' | 'delta';
  /** The grpc-js client's method name and the HTTP/2 path of the call. */
  readonly method: 'streamAggregatedResources' | 'deltaAggregatedResources';
  readonly path: string;
  /** Stream i's subscriptions, the node on the first. */
  initial(i: number): unknown[];
  /** The ACK of a decoded response. */
  ack(res: unknown): unknown;
  seen(res: unknown): Seen;
  encode(req: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

const node = (i: number) =>
  create(NodeSchema, { id: `bench-${i}`, userAgentName: 'gRPC Node Pure-JS bench' });
const service = AggregatedDiscoveryService.typeName;

type SotwRes = ReturnType<typeof fromBinary<typeof DiscoveryResponseSchema>>;
type DeltaRes = ReturnType<typeof fromBinary<typeof DeltaDiscoveryResponseSchema>>;
type SotwReq = ReturnType<typeof create<typeof DiscoveryRequestSchema>>;
type DeltaReq = ReturnType<typeof create<typeof DeltaDiscoveryRequestSchema>>;

const SOTW: Dialect = {
  protocol: 'sotw',
  method: 'streamAggregatedResources',
  path: `/${service}/StreamAggregatedResources`,
  initial: (i) =>
    SUBSCRIPTIONS.map(([typeUrl, resourceNames], j) =>
      create(DiscoveryRequestSchema, { typeUrl, resourceNames, ...(j === 0 ? { node: node(i) } : {}) }),
    ),
  ack: (r) => {
    const res = r as SotwRes;
    return create(DiscoveryRequestSchema, {
      typeUrl: res.typeUrl,
      versionInfo: res.versionInfo,
      responseNonce: res.nonce,
      resourceNames: NAMES.get(res.typeUrl) ?? [],
    });
  },
  seen: (r) => ({ typeUrl: (r as SotwRes).typeUrl, version: (r as SotwRes).versionInfo }),
  encode: (req) => toBinary(DiscoveryRequestSchema, req as SotwReq),
  decode: (bytes) => fromBinary(DiscoveryResponseSchema, bytes),
};

const DELTA: Dialect = {
  protocol: 'delta',
  method: 'deltaAggregatedResources',
  path: `/${service}/DeltaAggregatedResources`,
  initial: (i) =>
    SUBSCRIPTIONS.map(([typeUrl, resourceNamesSubscribe], j) =>
      create(DeltaDiscoveryRequestSchema, {
        typeUrl,
        resourceNamesSubscribe,
        ...(j === 0 ? { node: node(i) } : {}),
      }),
    ),
  // A delta ACK names the response by its nonce; what the client holds stays subscribed.
  ack: (r) =>
    create(DeltaDiscoveryRequestSchema, {
      typeUrl: (r as DeltaRes).typeUrl,
      responseNonce: (r as DeltaRes).nonce,
    }),
  seen: (r) => ({ typeUrl: (r as DeltaRes).typeUrl, version: (r as DeltaRes).systemVersionInfo }),
  encode: (req) => toBinary(DeltaDiscoveryRequestSchema, req as DeltaReq),
  decode: (bytes) => fromBinary(DeltaDiscoveryResponseSchema, bytes),
};

export function dialectOf(protocol = process.env.XDS_BENCH_PROTOCOL ?? 'sotw'): Dialect {
  if (protocol === 'sotw') return SOTW;
  if (protocol === 'delta') return DELTA;
  throw new OptionError(`XDS_BENCH_PROTOCOL must be sotw or delta, not ${protocol}`);
}
