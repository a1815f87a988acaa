// Watches one cluster's EDS over a real ADS stream (SotW, gRPC flavor) and records every
// ClusterLoadAssignment the control plane sends, so suites can time when an endpoint left,
// count churn, and read the weights and priorities clients were given.
import { fromBinary } from '@bufbuild/protobuf';
import { HealthStatus } from '../../protos/gen/envoy/config/core/v3/health_check_pb.js';
import { ClusterLoadAssignmentSchema } from '../../protos/gen/envoy/config/endpoint/v3/endpoint_pb.js';
import { SotwClient } from '../helpers/ads-client.js';

const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

export interface EdsEndpoint {
  readonly address: string;
  readonly port: number;
  readonly health: string;
  readonly weight: number;
  readonly priority: number;
  readonly subZone: string;
}

export interface EdsUpdate {
  readonly atMs: number;
  readonly version: string;
  readonly endpoints: readonly EdsEndpoint[];
}

export class EdsWatcher {
  readonly updates: EdsUpdate[] = [];
  private readonly ads: SotwClient;
  private stopped = false;

  constructor(xdsAddress: string, cluster: string, nodeId = `eds-watch-${process.pid}`) {
    this.ads = new SotwClient(xdsAddress, { id: nodeId, userAgentName: 'gRPC Node Pure-JS' });
    this.ads.send({ typeUrl: EDS, resourceNames: [cluster] });
    void this.pump(cluster);
  }

  private async pump(cluster: string): Promise<void> {
    while (!this.stopped && !this.ads.ended) {
      let res: Awaited<ReturnType<SotwClient['next']>>;
      try {
        res = await this.ads.next(60_000);
      } catch {
        continue;
      }
      for (const any of res.resources) {
        const cla = fromBinary(ClusterLoadAssignmentSchema, any.value);
        if (cla.clusterName !== cluster) continue;
        const endpoints: EdsEndpoint[] = [];
        for (const l of cla.endpoints)
          for (const e of l.lbEndpoints) {
            const sock = e.hostIdentifier.case === 'endpoint' ? e.hostIdentifier.value.address : undefined;
            const sa = sock?.address.case === 'socketAddress' ? sock.address.value : undefined;
            endpoints.push({
              address: sa?.address ?? '',
              port: sa?.portSpecifier.case === 'portValue' ? sa.portSpecifier.value : 0,
              health: HealthStatus[e.healthStatus],
              weight: l.loadBalancingWeight ?? 0,
              priority: l.priority,
              subZone: l.locality?.subZone ?? '',
            });
          }
        this.updates.push({ atMs: performance.now(), version: res.versionInfo, endpoints });
      }
      this.ads.ack(res, [cluster]);
    }
  }

  get latest(): EdsUpdate | undefined {
    return this.updates[this.updates.length - 1];
  }

  /** Resolves with the first update (already received or not) that satisfies `pred`. */
  async waitFor(what: string, pred: (u: EdsUpdate) => boolean, timeoutMs = 10_000): Promise<EdsUpdate> {
    const deadline = performance.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.updates.length; seen++) if (pred(this.updates[seen]!)) return this.updates[seen]!;
      if (performance.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for EDS: ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.stopped = true;
    this.ads.close();
  }
}

/** `address:port` of every endpoint with the given health (HEALTHY by default). */
export function addressesOf(u: EdsUpdate | undefined, health = 'HEALTHY'): string[] {
  return (u?.endpoints ?? [])
    .filter((e) => e.health === health)
    .map((e) => `${e.address}:${e.port}`)
    .sort();
}
