// An ADS stream that follows the served resources the way Envoy would subscribe to them, for
// suites that walk a request through LDS, RDS, CDS and EDS (Envoy cannot be installed here).
import { fromBinary, type Message } from '@bufbuild/protobuf';
import { typeInfo } from '../../control-plane/xds/resource-types.js';
import type { DiscoveryResponse } from '../../protos/gen/envoy/service/discovery/v3/discovery_pb.js';
import type { SotwClient } from '../helpers/ads-client.js';

const DEADLINE_MS = 20_000;

/**
 * An ADS stream that keeps the latest resources of each type and ACKs what it gets. Like Envoy,
 * it grows a type's subscription by resending all its names with the last version and nonce.
 */
export class Follower {
  private readonly latest = new Map<string, Message[]>();
  private readonly subscribed = new Map<string, string[]>();
  private readonly last = new Map<string, DiscoveryResponse>();
  constructor(private readonly client: SotwClient) {}

  async want<T>(typeUrl: string, names: string[], pick: (msgs: Message[]) => T | undefined): Promise<T> {
    const before = this.subscribed.get(typeUrl);
    const all = [...new Set([...(before ?? []), ...names])].sort();
    if (!before || all.length !== before.length) {
      this.subscribed.set(typeUrl, all);
      const prev = this.last.get(typeUrl);
      this.client.send({
        typeUrl,
        resourceNames: all,
        ...(prev ? { versionInfo: prev.versionInfo, responseNonce: prev.nonce } : {}),
      });
    }
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const have = this.latest.get(typeUrl);
      const found = have ? pick(have) : undefined;
      if (found !== undefined) return found;
      const res: DiscoveryResponse = await this.client.next(Math.max(1, deadline - Date.now()));
      this.latest.set(
        res.typeUrl,
        res.resources.map((a) => fromBinary(typeInfo(a.typeUrl).schema, a.value)),
      );
      this.last.set(res.typeUrl, res);
      this.client.ack(res, this.subscribed.get(res.typeUrl) ?? []);
    }
  }
}
