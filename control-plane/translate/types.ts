// The contract between the policy pipeline, the translator and the snapshot cache. Pure types:
// translate/ and validate/ never import I/O, clocks, NATS or gRPC.
// The resource set itself lives in control-plane/resources, which validate/ reads as well.
export type { ResourceSet } from '../resources/index.js';

import { flatJoin } from './flat-join.js';

/** Which client a node is: Envoy, or a proxyless gRPC client (stricter: xDS rule 7, docs/XDS.md). */
export type Flavor = 'envoy' | 'grpc';

export type EndpointHealth = 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'UNKNOWN';

/** One serving address for a model version, static (from the policy) or discovered (NATS). */
export interface EndpointInfo {
  readonly address: string;
  /** KServe v2 gRPC. */
  readonly port: number;
  /**
   * KServe v2 HTTP/REST, the target of the Envoy gateway's REST clusters; absent: the endpoint
   * is left out of them (docs/TRANSLATION.md, "REST clusters").
   */
  readonly httpPort?: number;
  readonly region?: string;
  readonly zone?: string;
  readonly health: EndpointHealth;
  /** Relative load-balancing weight, 1..; absent means equal. */
  readonly weight?: number;
  readonly backend?: 'gpu' | 'cpu';
  /** The pod accepts mTLS; PERMISSIVE policies use TLS to it (Envoy flavor). */
  readonly tls?: boolean;
  /** Stable identity of the pod, when discovered. */
  readonly podId?: string;
  /**
   * A CPU endpoint that takes primary traffic now: under backend preference gpu-overflow-cpu
   * the GPU endpoints crossed their utilization threshold (control-plane/endpoints/model/overflow.ts).
   */
  readonly overflow?: boolean;
}

/** Discovered endpoints keyed by `${model}/${version}`; static endpoints in a policy win. */
export type EndpointTable = ReadonlyMap<string, readonly EndpointInfo[]>;

export function endpointKey(model: string, version: string): string {
  return flatJoin(model, '/', version);
}
