// Proxies for the console's views: SotW ADS streams that ACK every response as a proxy does, and
// optionally NACK the routes, so the proxies view shows per-type sync state and NACK text.
import { TYPE } from '../../control-plane/xds/resource-types.js';
import { SotwClient } from '../helpers/ads-client.js';

interface RawResponse {
  typeUrl: string;
  versionInfo: string;
  nonce: string;
}

export function connectProxies(
  xdsAddress: string,
  count: number,
  model: string,
  opts: { nackRoutes?: (i: number) => string | undefined; prefix?: string } = {},
): SotwClient[] {
  const names: Record<string, string[]> = {
    [TYPE.LDS]: [model],
    [TYPE.RDS]: [model],
    [TYPE.CDS]: [`${model}/v1`, `${model}/v2`],
    [TYPE.EDS]: [`${model}/v1`, `${model}/v2`],
  };
  const clients: SotwClient[] = [];
  for (let i = 0; i < count; i++) {
    const c = new SotwClient(xdsAddress, {
      id: `${opts.prefix ?? 'console-proxy'}-${i}`,
      userAgentName: 'gRPC Node Pure-JS console test',
    });
    const nack = opts.nackRoutes?.(i);
    let lastGood = '';
    (c as unknown as { call: { on(ev: string, f: (r: RawResponse) => void): void } }).call.on('data', (r) => {
      if (nack && r.typeUrl === TYPE.RDS) c.nack(r as never, lastGood, nack, names[r.typeUrl] ?? []);
      else c.ack(r as never, names[r.typeUrl] ?? []);
      if (r.typeUrl === TYPE.RDS && !nack) lastGood = r.versionInfo;
    });
    for (const [t, n] of Object.entries(names)) c.send({ typeUrl: t, resourceNames: n });
    clients.push(c);
  }
  return clients;
}
