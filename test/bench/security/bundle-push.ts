// Trust-bundle push measurement for security.bench.ts: N raw SotW ADS streams over mTLS (one
// connection per identity, the streams multiplexed on it), each subscribed to the trust-bundle
// secret; then CA changes (prepare a new generation: two roots; activate and drop the old one:
// one root) and, per change, the time from the CA's change event to each stream's response.

import { TYPE } from '../../../control-plane/xds/resource-types.js';
import { compileAllowList, controlPlaneId, grpcChannelCredentials } from '../../../kernel/tls/index.js';
import { SotwClient } from '../../helpers/ads-client.js';
import { CHANNEL_OPTIONS } from '../../helpers/pki.js';
import { id, type SecureControlPlane, type SecurityCa } from '../../security/helpers.js';

const BUNDLE = 'switchyard/trust-bundle';

export interface PushTimes {
  /** Change event to the last stream's response, ms, one per change. */
  readonly last: number[];
  /** Change event to the median stream's response, ms. */
  readonly median: number[];
  /** Server side only: every group republished and every response handed to grpc-js, ms. */
  readonly server: number[];
}

export async function bundlePush(
  f: SecureControlPlane,
  sca: SecurityCa,
  changedAt: { at: number },
  streams: number,
  identities: number,
  rounds: number,
  log: (s: string) => void,
): Promise<PushTimes> {
  const ids = Array.from({ length: identities }, (_, i) => id('bench', `proxy-${i}`));
  const expect = compileAllowList([controlPlaneId(sca.ca.trustDomain)]);
  // One credentials object per identity: grpc-js gives channels with equal credentials and
  // target one shared connection, so each identity holds one TLS connection.
  const creds = await Promise.all(
    ids.map(async (who) => grpcChannelCredentials(await sca.material(who), expect)),
  );
  const clients: SotwClient[] = [];
  try {
    for (let i = 0; i < streams; i++) {
      const k = i % identities;
      const c = new SotwClient(
        f.xdsAddress,
        { id: `${ids[k]}#s${i}` },
        { credentials: creds[k]!, channelOptions: CHANNEL_OPTIONS },
      );
      c.send({ typeUrl: TYPE.SDS, resourceNames: [BUNDLE] });
      clients.push(c);
    }
    await Promise.all(
      clients.map(async (c) => {
        const r = await c.next(60_000);
        c.ack(r, [BUNDLE]);
      }),
    );
    const last: number[] = [];
    const median: number[] = [];
    const server: number[] = [];
    const measure = async (what: string, change: () => Promise<unknown>) => {
      const arrivals = clients.map(async (c) => {
        const r = await c.next(60_000);
        const at = performance.now();
        c.ack(r, [BUNDLE]);
        return at;
      });
      await change();
      const times = (await Promise.all(arrivals)).map((t) => t - changedAt.at).sort((a, b) => a - b);
      last.push(times.at(-1)!);
      median.push(times[Math.floor(times.length / 2)]!);
      server.push(f.cp.pki!.security.lastBundlePush!.ms);
      log(
        `    ${what}: all ${streams} streams in ${last.at(-1)!.toFixed(1)} ms (median ${median.at(-1)!.toFixed(1)} ms, server side ${server.at(-1)!.toFixed(1)} ms)`,
      );
    };
    for (let r = 0; r < rounds; r++) {
      const old = sca.ca.generations().find((g) => g.state === 'active')!.id;
      await measure(`round ${r + 1} prepare`, () => sca.ca.prepareRotation());
      await sca.ca.activatePrepared(); // the bundle does not change: nothing is pushed
      await measure(`round ${r + 1} drop`, () => sca.ca.dropGeneration(old));
    }
    return { last, median, server };
  } finally {
    for (const c of clients) c.close();
  }
}
